"""Events stored from stream records (services/event_store.py) on the embedded table: a batch processed again
stores nothing new, an erasure redacts the member's stored events (and events stored after it come redacted),
GET /events' window, filters and pages."""

from datetime import UTC, datetime, timedelta

import pytest
from loyalty import clock
from loyalty.errors import NotFound
from loyalty.models.events import EventListQuery
from loyalty.models.members import MemberUpdate
from loyalty.repository import events as events_db
from loyalty.repository import store
from loyalty.services import event_store, members

from tests.support import money
from tests.support.money import TENANT, Program
from tests.support.stream import Stream

pytestmark = pytest.mark.usefixtures("fresh_table")


@pytest.fixture
def prog():
    world = Program(datetime(2026, 1, 7, 9, 0, tzinfo=UTC))
    world.activity("gift", points=10)
    return world


def listed(**query):
    return event_store.list_events(TENANT, EventListQuery.model_validate(query))


def test_a_batch_processed_again_stores_nothing_new(prog):
    stream = Stream()
    records = stream.changes(lambda: prog.member(firstName="Ann"))
    first = event_store.consume(records)
    assert [e["type"] for e in first] == ["member.created"]
    assert event_store.consume(records) == []  # same ids: stored already
    assert [e["id"] for e in listed().items] == [first[0]["id"]]
    assert event_store.get_event(TENANT, first[0]["id"]) == first[0]


def test_erasure_redacts_the_members_stored_events(prog):
    stream = Stream()
    records = stream.changes(lambda: prog.member(firstName="Ann", lastName="Lee"))
    event_store.consume(records)
    member_id = events_of(records)[0]
    offer_id = money.offer(prog, "VOUCH")
    issue = stream.changes(lambda: money.give(prog, offer_id, memberId=member_id))  # stored after the erasure
    erasure = stream.changes(lambda: members.erase_member(prog.caller, member_id))
    assert [e["type"] for e in event_store.consume(erasure)] == ["member.erased"]
    late = event_store.consume(issue)  # a record of before the erasure, processed after it
    assert [e["type"] for e in late] == ["voucher.issued"] and late[0]["data"]["customerName"] is None
    shown = [e["data"] for e in listed().items]
    assert len(shown) == 3
    assert all(d.get("email") is None and d.get("firstName") is None and d.get("customerName") is None for d in shown)
    assert event_store.redact(TENANT, member_id) == 0  # nothing left to redact


def events_of(records):
    return [r["dynamodb"]["NewImage"]["memberId"]["S"] for r in records if r["dynamodb"]["Keys"]["sk"]["S"] == "MEMBER"]


def test_list_filters_window_and_pages(prog):
    stream = Stream()
    for _ in range(3):
        event_store.consume(stream.changes(lambda: prog.member()))
        prog.clock.advance(minutes=1)
    all_ = listed().items
    assert [e["type"] for e in all_] == ["member.created"] * 3
    assert [e["timestamp"] for e in all_] == sorted((e["timestamp"] for e in all_), reverse=True)
    first = listed(limit=2)
    assert len(first.items) == 2 and first.next_token
    rest = listed(limit=2, nextToken=first.next_token)
    assert [e["id"] for e in first.items + rest.items] == [e["id"] for e in all_]
    assert listed(type="points.awarded").items == []
    assert len(listed(**{"from": "2026-01-07T09:01:00Z"}).items) == 2
    assert len(listed(to="2026-01-07T09:00:30Z").items) == 1
    prog.clock.advance(days=30, minutes=-2, seconds=-30)  # now the first is 30 days and 30 s old
    assert len(listed().items) == 2 and len(listed(**{"from": "2026-01-01T00:00:00Z"}).items) == 2
    with pytest.raises(NotFound):
        event_store.get_event(TENANT, all_[-1]["id"])
    with pytest.raises(NotFound):
        event_store.get_event(TENANT, "evt_nope")
    stored = store.get(events_db.key(TENANT, all_[0]["id"]))
    assert stored is not None and stored["expiresAtEpoch"] == int(
        (clock.parse_iso(all_[0]["timestamp"]) + timedelta(days=30)).timestamp()
    )


class FakeBus:
    def __init__(self):
        self.entries = []

    def put_events(self, Entries):
        self.entries += Entries
        return {"FailedEntryCount": 0}


def test_the_stream_function_stores_and_puts_every_event_on_the_bus_again_on_a_retry(prog, monkeypatch):
    from functions.build_events import app
    from tools.local.gateway import LambdaContext

    bus = FakeBus()
    monkeypatch.setattr(app, "_bus", [bus])
    monkeypatch.setenv("EVENT_BUS_NAME", "loyalty-events")
    member_id = prog.member()
    records = Stream().changes(lambda: prog.award(member_id, "gift"))
    answer = app.handler({"Records": records}, LambdaContext("build_events", "test"))
    assert answer == {"records": len(records), "events": 1, "stored": 1}
    assert [(e["DetailType"], e["Source"], e["EventBusName"]) for e in bus.entries] == [
        ("points.awarded", "loyalty.api", "loyalty-events")
    ]
    again = app.handler({"Records": records}, LambdaContext("build_events", "test"))  # a retried batch
    assert again == {"records": len(records), "events": 1, "stored": 0}
    assert bus.entries[0] == bus.entries[1]  # the same event, the same id: consumers dedupe by it


def test_tail_prints_each_event_once_oldest_first(prog):
    import io
    import json

    from tools.local.tail import tail

    stream = Stream()
    for _ in range(2):
        event_store.consume(stream.changes(lambda: prog.member()))
        prog.clock.advance(seconds=1)
    out = io.StringIO()
    tail(TENANT, follow=False, out=out)
    printed = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [e["type"] for e in printed] == ["member.created"] * 2
    assert [e["id"] for e in printed] == sorted(e["id"] for e in listed().items)


# --- the redaction gap: no event of an erased member stays unredacted, whatever the timing ---


def _ann_with_points(prog, stream):
    """A member (its member.created stored) and the records of an update of it, not processed yet."""
    records = stream.changes(lambda: prog.member(firstName="Ann", lastName="Lee", email="ann@example.com"))
    event_store.consume(records)
    member_id = events_of(records)[0]
    change = MemberUpdate.model_validate({"firstName": "Anna"})
    return member_id, stream.changes(lambda: members.update_member(prog.caller, member_id, change))


def _unredacted(member_id):
    """The member's stored events that still hold a personal field of the member."""
    found = [
        events_db.event_of(store.get(events_db.key(TENANT, i))) for i in events_db.ids_of_member(TENANT, member_id)
    ]
    return [e for e in found if e["data"].get("email") or e["data"].get("firstName")]


def test_an_erasure_between_a_batchs_check_and_its_write_is_caught(prog, monkeypatch):
    """The batch reads the member (not erased), the member is erased and its member.erased processed (nothing of
    the batch stored yet to redact), then the batch stores its event: it reads the member again and redacts it."""
    stream = Stream()
    member_id, update = _ann_with_points(prog, stream)
    real_put_new = events_db.put_new
    erased_first = []

    def erase_then_put(stored):
        if not erased_first:
            erased_first.append([])
            erasure = stream.changes(lambda: members.erase_member(prog.caller, member_id))  # after the batch's check
            erased_first[0] = event_store.consume(erasure)  # the other shard's batch, done in between
        return real_put_new(stored)

    monkeypatch.setattr(events_db, "put_new", erase_then_put)
    stored = event_store.consume(update)
    assert [e["type"] for e in erased_first[0]] == ["member.erased"]
    assert [e["type"] for e in stored] == ["member.updated"] and stored[0]["data"]["firstName"] is None
    assert _unredacted(member_id) == []


def test_the_redaction_reads_no_index(prog, monkeypatch):
    """An index lags its writes on AWS: with every index query answering nothing (a lag of any length), an
    erasure still redacts every stored event of the member (its list and the events are read from the table)."""
    stream = Stream()
    member_id, update = _ann_with_points(prog, stream)
    event_store.consume(update)
    real_query = store.query

    def lagging(partition, **options):
        return ([], None) if options.get("index") else real_query(partition, **options)

    monkeypatch.setattr(store, "query", lagging)
    assert len(_unredacted(member_id)) == 2
    event_store.consume(stream.changes(lambda: members.erase_member(prog.caller, member_id)))
    assert _unredacted(member_id) == [] and len(events_db.ids_of_member(TENANT, member_id)) == 3


def test_the_members_event_list_makes_no_event():
    entry = events_db.member_entry(TENANT, "m1", "evt_01KEBTYCM0HM7Z683K0TYX78RZ", 0)
    assert events_db.entity(entry["pk"], entry["sk"]) is None
