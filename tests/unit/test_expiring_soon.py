"""points.expiring_soon (§13, services/expiring_soon.py and jobs.notify_expiring) on the embedded table: the notice
window's boundaries (a lot expiring exactly at now + N days, a second later, an expired lot), once per member and
lot date whatever the runs (twice, overlapping days, N changed), what the event holds, and the walk (no Scan)."""

from datetime import UTC, datetime, timedelta

import pytest
from loyalty import clock
from loyalty.event_bus import Publisher
from loyalty.models.events import EventListQuery
from loyalty.models.program import ProgramUpdate
from loyalty.repository import client as client_module
from loyalty.repository import events as events_db
from loyalty.repository import notices, store
from loyalty.services import event_store, expiring_soon, jobs, members, program
from pydantic import ValidationError

from tests.support.money import TENANT, Program

pytestmark = pytest.mark.usefixtures("fresh_table")

START = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)
LOT = "2027-02-10"  # points earned at START with 40-day expiry
EXPIRES = datetime(2027, 2, 10, 23, 59, 59, tzinfo=UTC)  # the lot's last moment (book.expires_at)


@pytest.fixture
def prog():
    world = Program(START)
    world.settings(pointsExpiryDays=40)
    world.activity("gift", points=10)
    return world


def run(now, **options):
    return jobs.notify_expiring(now=now, tenant_ids=[TENANT], **options)


def given():
    return event_store.list_events(TENANT, EventListQuery.model_validate({"type": expiring_soon.TYPE})).items


def test_the_window_by_the_second():
    n = 30
    assert expiring_soon.window(EXPIRES - timedelta(days=n), n) == (
        "2027-01-12",
        LOT,
    )  # exactly now + N: in (today's lot expires now: out)
    assert expiring_soon.window(EXPIRES - timedelta(days=n, seconds=1), n)[1] == "2027-02-09"  # a second later: out
    assert expiring_soon.window(EXPIRES, n)[0] == "2027-02-11"  # expiring at now: expired, out
    assert expiring_soon.window(EXPIRES - timedelta(seconds=1), n)[0] == LOT  # its last second: in


def test_a_lot_expiring_exactly_at_now_plus_n_days_is_given_one_a_second_later_is_not(prog):
    member_id = prog.member()
    prog.award(member_id, "gift")
    assert run(EXPIRES - timedelta(days=30, seconds=1)) == {"lots": 0, "notices": 0, "complete": True}
    assert given() == []
    assert run(EXPIRES - timedelta(days=30)) == {"lots": 1, "notices": 1, "complete": True}
    (event,) = given()
    assert event["type"] == "points.expiring_soon" and event["timestamp"] == "2027-01-11T23:59:59Z"
    assert event["data"] == {
        "memberId": member_id,
        "points": 10,
        "date": LOT,
        "expiresAt": "2027-02-10T23:59:59Z",
        "expiryNoticeDays": 30,
    }
    assert event["id"] == expiring_soon.event_id(TENANT, member_id, LOT, event["timestamp"])
    assert store.get(notices.key(TENANT, member_id, LOT))["eventId"] == event["id"]


def test_an_expired_lot_gets_no_notice(prog):
    member_id = prog.member()
    prog.award(member_id, "gift")
    assert run(EXPIRES)["lots"] == 0  # due for the expiry job, not yet settled: not listed in the window
    assert expiring_soon.notify(TENANT, member_id, LOT, EXPIRES, 30) is None
    assert expiring_soon.notify(TENANT, member_id, LOT, EXPIRES + timedelta(days=2), 30) is None
    assert given() == []


def test_runs_twice_and_on_overlapping_days_give_each_notice_once(prog):
    member_id = prog.member()
    prog.award(member_id, "gift")
    first_day = EXPIRES - timedelta(days=20)
    assert run(first_day)["notices"] == 1
    assert run(first_day)["notices"] == 0  # the same run again
    for day in range(1, 20):  # every later day until the lot expires
        assert run(first_day + timedelta(days=day)) == {"lots": 1, "notices": 0, "complete": True}
    assert len(given()) == 1


def test_a_changed_notice_period_gives_what_it_takes_in_once(prog):
    member_id = prog.member()
    prog.award(member_id, "gift")  # expires in 40 days
    prog.clock.advance(days=5)
    prog.award(member_id, "gift")  # another lot, 5 days later
    day = START + timedelta(days=1)
    assert run(day)["notices"] == 0  # 30 days: neither lot yet
    prog.settings(expiryNoticeDays=60)
    assert run(day)["notices"] == 2
    prog.settings(expiryNoticeDays=45)
    assert run(day + timedelta(days=1))["notices"] == 0
    prog.settings(expiryNoticeDays=90)
    assert run(day + timedelta(days=2))["notices"] == 0
    assert sorted(e["data"]["date"] for e in given()) == [LOT, "2027-02-15"]


def test_a_spent_lot_and_an_erased_member_get_none_the_rest_what_is_unspent(prog):
    spent, part, erased = prog.member(), prog.member(), prog.member()
    for member_id in (spent, part, erased):
        prog.award(member_id, "gift")
    prog.deduct(spent, 10)
    prog.deduct(part, 4)
    members.erase_member(prog.caller, erased)
    assert run(EXPIRES - timedelta(days=3)) == {"lots": 3, "notices": 1, "complete": True}
    (event,) = given()
    assert event["data"]["memberId"] == part and event["data"]["points"] == 6


def test_the_job_scans_nothing_and_publishes_what_it_gives(prog, monkeypatch):
    for _ in range(12):
        prog.award(prog.member(), "gift")

    def refuse(**_):
        raise AssertionError("a Scan")

    monkeypatch.setattr(client_module.client, "scan", refuse)

    class Bus:
        def __init__(self):
            self.calls = []

        def put_events(self, Entries):
            self.calls.append(Entries)
            return {"FailedEntryCount": 0}

    bus = Bus()
    with Publisher("loyalty-events", bus) as publisher:
        assert run(EXPIRES - timedelta(days=1), publish=publisher.add)["notices"] == 12
    assert [len(c) for c in bus.calls] == [10, 2] and publisher.put == 12
    assert {e["DetailType"] for c in bus.calls for e in c} == {"points.expiring_soon"}
    assert {e["EventBusName"] for c in bus.calls for e in c} == {"loyalty-events"}


def test_the_setting_is_validated_and_shown(prog):
    assert program.get_program(TENANT)["expiryNoticeDays"] == 30
    prog.settings(expiryNoticeDays=7)
    assert program.get_program(TENANT)["expiryNoticeDays"] == 7
    for bad in (0, 366, 1.5, "7", None):
        with pytest.raises(ValidationError):
            ProgramUpdate.model_validate({"expiryNoticeDays": bad})


def test_a_notice_item_makes_no_event():
    key = notices.key(TENANT, "m1", LOT)
    assert events_db.entity(key["pk"], key["sk"]) is None
    assert clock.day(EXPIRES) == LOT
