"""points.expiring_soon (§13): the notice a member gets once per lot date, when the lot is about to expire.

A daily job (services/jobs.notify_expiring) walks each tenant's due-date list of lots (the one the expiry job
walks, repository/lots, read by a key range: no Scan) over the lot dates of the notice window and gives each
lot's notice here. A lot expires at the end of its last day (book.expires_at: `<date>T23:59:59Z`); it is in
the window at `now` when that moment is after `now` and at most `expiryNoticeDays` (the program's setting,
default 30) later. So a lot whose moment is exactly now + N days is in, one a second later is not, one that has
expired (its moment not after now) is not, and a larger N takes in lot dates a smaller one left out.

The notice is an event stored like the event builder's (repository/events.item: by id, listed tenant-wide,
kept 30 days), with no personal data (an erasure has nothing to redact in it), written in one transaction with
the member's notice item for the lot date (repository/notices), both on condition that they are absent: the job
run twice, on overlapping days or with N changed in between gives nothing twice. Its id follows the builder's
rule: `evt_` + a ULID whose time is the event's timestamp (the run that gave the notice) and whose 80 bits are
the first 80 bits of SHA-256 over the type, the tenant, the member and the lot date.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from loyalty import clock, ids
from loyalty.models.program import EXPIRY_NOTICE_DAYS
from loyalty.repository import events as events_db
from loyalty.repository import lots as lots_db
from loyalty.repository import members as members_db
from loyalty.repository import notices, store
from loyalty.services.book import expires_at, unspent

if TYPE_CHECKING:
    from loyalty.repository.records import LotRecord

TYPE = "points.expiring_soon"
DAY = timedelta(days=1)


def notice_days(settings: dict[str, Any]) -> int:
    return int(settings.get("expiryNoticeDays") or EXPIRY_NOTICE_DAYS)


def expiry_moment(expires_on: str) -> datetime:
    """When a lot of that last day expires (the end of the day, as the API shows a lot's expiresAt)."""
    return clock.parse_iso(str(expires_at(expires_on)))


def window(now: datetime, days: int) -> tuple[str, str]:
    """The first and the last lot date whose expiry moment is after `now` and at most `days` days later."""
    first = clock.day(now) if expiry_moment(clock.day(now)) > now else clock.day(now + DAY)
    bound = now + timedelta(days=days)
    last = clock.day(bound) if expiry_moment(clock.day(bound)) <= bound else clock.day(bound - DAY)
    return first, last


def event_id(tenant_id: str, member_id: str, expires_on: str, timestamp: str) -> str:
    canonical = json.dumps([TYPE, tenant_id, member_id, expires_on])
    digest = int.from_bytes(hashlib.sha256(canonical.encode()).digest()[:10], "big")
    return events_db.PREFIX + ids.ulid_of(int(clock.parse_iso(timestamp).timestamp() * 1000), digest)


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def notify(tenant_id: str, member_id: str, expires_on: str, now: datetime, days: int) -> dict[str, Any] | None:
    """Give the member's notice for its lot of `expires_on`: the event stored, or None when there is none to give
    (given already, the lot settled or spent, out of the window, the member gone or erased)."""
    first, last = window(now, days)
    if not first <= expires_on <= last:
        return None
    lot, member, given = store.get_many(
        [
            lots_db.key(tenant_id, member_id, expires_on),
            members_db.key(tenant_id, member_id),
            notices.key(tenant_id, member_id, expires_on),
        ]
    )
    if given is not None or lot is None or member is None or member.get("erasedAt"):
        return None
    points = unspent(cast("LotRecord", lot), member["consumed"])
    if points <= 0:
        return None
    timestamp = clock.iso(now)
    event: dict[str, Any] = {
        "id": event_id(tenant_id, member_id, expires_on, timestamp),
        "type": TYPE,
        "timestamp": timestamp,
        "tenantId": tenant_id,
        "data": {
            "memberId": member_id,
            "points": points,
            "date": expires_on,
            "expiresAt": expires_at(expires_on),
            "expiryNoticeDays": days,
        },
    }
    kept = _epoch(now + timedelta(days=events_db.RETENTION_DAYS))
    try:
        store.transact(
            [
                notices.put_new(tenant_id, member_id, expires_on, event["id"], _epoch(expiry_moment(expires_on) + DAY)),
                store.put_new(events_db.item(tenant_id, event, member_id, member_id, kept)),
            ]
        )
    except store.ConditionFailed:
        return None  # another run gave it meanwhile
    return event
