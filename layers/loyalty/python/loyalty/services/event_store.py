"""Events stored and read (§13): what the stream consumer does with a batch of records, and GET /events.

`consume(records)` builds each record's events (services/events.py) and stores each one unless its id is
stored already (a batch processed again stores nothing new), then answers the events it stored, for the
stack's event bus. Events of a member that is erased by then are stored redacted; a member.erased event
redacts the member's stored events. Both run here, off the request path: the erasure request itself writes
nothing for events. After storing a batch it hands every event of it to the webhook fan-out
(services/webhook_delivery.fan_out: one delivery per subscribed endpoint, at most once).

No event of an erased member stays unredacted, whatever the timing (a batch of the member's changes may be
processed at the same time as its erasure, on another shard): an event of a member is listed in the table
(repository/events.member_entry) *before* it is stored, and the member is read again (strongly consistent)
*after* the batch's events are stored. If that read sees the erasure, the batch redacts what it stored
itself; if it does not, the erasure committed after the event and its list entry, so the redaction of the
member.erased event, which reads the list from the table (not from an index, which may lag), finds the event
and rewrites it by key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from loyalty import clock, ids, personal
from loyalty.errors import NotFound
from loyalty.models.events import EventListQuery
from loyalty.repository import events as events_db
from loyalty.repository import members as members_db
from loyalty.repository import paging, store
from loyalty.results import Page
from loyalty.services import events as builder
from loyalty.services import webhook_delivery

RETENTION = timedelta(days=events_db.RETENTION_DAYS)


def _erased_members(built: list[builder.Built]) -> set[tuple[str, str]]:
    """The (tenant, member) of the batch's events whose member is erased now (one BatchGetItem)."""
    wanted = sorted({(b.tenant_id, b.member_id) for b in built if b.member_id})
    found = store.get_many([members_db.key(t, m) for t, m in wanted])
    return {pair for pair, member in zip(wanted, found, strict=True) if member and member.get("erasedAt")}


def _expires(event: Mapping[str, Any]) -> int:
    return int((clock.parse_iso(event["timestamp"]) + RETENTION).timestamp())


def store_all(built: list[builder.Built]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Store each event unless stored already: the events stored now, and every event of the batch as stored
    (redacted where its member is erased), which the deployed consumer puts on the event bus (again when a
    batch is retried: at least once, the same ids)."""
    erased = _erased_members(built)
    outcome: list[tuple[dict[str, Any], bool]] = []
    for one in built:
        event = one.event
        if one.member_id and (one.tenant_id, one.member_id) in erased:
            event = personal.erased(event, one.member_id)
        expires = _expires(event)
        if one.member_id:  # listed first: an erasure that reads the list after this finds the event
            store.put_plain(events_db.member_entry(one.tenant_id, one.member_id, event["id"], expires))
        outcome.append(
            (event, events_db.put_new(events_db.item(one.tenant_id, event, one.owner, one.member_id, expires)))
        )
        if event["type"] == "member.erased" and one.member_id:
            redact(one.tenant_id, one.member_id)
    late = _erased_members([one for one in built if (one.tenant_id, one.member_id) not in erased])
    for index, one in enumerate(built):  # erased while the batch was stored: redact what it stored, by key
        if one.member_id and (one.tenant_id, one.member_id) in late:
            redact_one(one.tenant_id, one.event["id"], one.member_id)
            outcome[index] = (personal.erased(outcome[index][0], one.member_id), outcome[index][1])
    every = [event for event, _ in outcome]
    webhook_delivery.fan_out(every)  # every event of the batch: one stored before a crash is delivered still
    return [event for event, new in outcome if new], every


def store_built(built: list[builder.Built]) -> list[dict[str, Any]]:
    """Store each event unless stored already; the events stored now (redacted where their member is erased)."""
    return store_all(built)[0]


def redact_one(tenant_id: str, event_id: str, member_id: str) -> bool:
    """Null the member's personal data in one stored event, read by key; False if there was nothing to change."""
    found = store.get(events_db.key(tenant_id, event_id))
    if found is None:
        return False
    event = events_db.event_of(found)
    redacted = personal.erased(event, member_id)
    if redacted == event:
        return False
    store.transact([events_db.replace_event(tenant_id, event_id, redacted)])
    return True


def redact(tenant_id: str, member_id: str) -> int:
    """Null the member's personal data in its stored events (every one its list in the table names, each read
    by key, strongly consistent); how many changed."""
    return sum(redact_one(tenant_id, event_id, member_id) for event_id in events_db.ids_of_member(tenant_id, member_id))


def built_of(changes: Iterable[builder.Change], lookups: builder.Lookups | None = None) -> list[builder.Built]:
    """The events of a batch of changed items, in the batch's order."""
    built = []
    for change in changes:
        built += builder.build(change, lookups)
    return built


def stored_by_jobs(changes: Iterable[builder.Change]) -> list[dict[str, Any]]:
    """The events a job stored itself (points.expiring_soon: services/expiring_soon.py), read from their own
    items' insertions in a batch of changes. The builder makes nothing of our event items; these go to
    the webhook fan-out from here, so a job that stops after storing its event still has it delivered (the
    stream hands the insertion on at least once; a delivery is made once)."""
    made = []
    for change in changes:
        if change.old is not None or change.new is None:
            continue
        found = events_db.entity(change.pk, change.sk)
        if found is not None and found.kind == "event":
            event = events_db.event_of(change.new)
            if event["type"] in builder.MADE_BY_JOBS:
                made.append(event)
    return made


def store_batch(
    records: Iterable[Mapping[str, Any]], lookups: builder.Lookups | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A batch of stream records (Lambda's or GetRecords'), each parsed once: build and store their events
    (store_all) and fan out the events jobs stored; the events stored now and every event built of the batch
    (for the event bus: the jobs put theirs there)."""
    changes = [change for change in map(builder.change_of, records) if change is not None]
    built = built_of(changes, lookups)
    stored, every = store_all(built) if built else ([], [])
    by_jobs = stored_by_jobs(changes)
    if by_jobs:
        webhook_delivery.fan_out(by_jobs)
    return stored, every


def consume(records: Iterable[Mapping[str, Any]], lookups: builder.Lookups | None = None) -> list[dict[str, Any]]:
    """A batch of stream records: its events stored now (store_batch)."""
    return store_batch(records, lookups)[0]


def _window_start() -> str:
    """The time of the oldest event still kept (30 days before now)."""
    return clock.iso(clock.now() - RETENTION)


def list_events(tenant_id: str, query: EventListQuery) -> Page[list[dict[str, Any]]]:
    """The tenant's events of the last 30 days, newest first, by type and time (a scatter-gather of its shards)."""
    page = paging.request(tenant_id, "events", query.given(), bounds=("from", "to"))
    oldest = _window_start()
    low = max(query.from_ or oldest, oldest)
    items, last = events_db.of_program(tenant_id).query(
        between=ids.ulid_range(low, query.to),
        equals={"type": query.type},
        newest_first=True,
        limit=page.limit,
        start=page.start,
    )
    return Page([events_db.event_of(item) for item in items], page.next_token(last))


def get_event(tenant_id: str, event_id: str) -> dict[str, Any]:
    found = store.get(events_db.key(tenant_id, event_id)) if event_id.startswith(events_db.PREFIX) else None
    event = events_db.event_of(found) if found else None
    if event is None or event["timestamp"] < _window_start():
        raise NotFound("The event does not exist (events are kept 30 days).")
    return event
