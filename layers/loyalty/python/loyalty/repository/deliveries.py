"""Webhook deliveries (§13): one item per (event, endpoint), its attempts, and each endpoint's list of them.

A delivery is `T#<t>#DLV#<deliveryId>` / DELIVERY; `deliveryId` is `dlv_` + a ULID whose time is the event's and
whose other 80 bits are a digest of (event id, webhook id): the same event fanned out again names the same
delivery, and a conditional put creates it once. It is listed per endpoint newest first (PROGRAM_WIDE under
`T#<t>#WH#<webhookId>#DLV#S<k>`, sorted by that ULID). That list is write-sharded like the tenant's event list
(repository/sharded.py, the tenant's "events" count: a delivery is written at the rate of the events it carries),
spread by the event id, so an endpoint subscribed to "*" is not one partition taking every member's events.

The item holds `status` (pending / succeeded / failed), `attempts` (how many were made), `lastStatusCode`,
`nextAttemptAt`, `since` (the attempt count when the schedule last started: a retry restarts it) and the
attempts' outcomes (`log`, a list of {at, statusCode, error, durationMs}). Each attempt is recorded on condition
that `attempts` is still the count the attempt started from: a queue message handled twice records once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from loyalty import clock, ids
from loyalty.repository import events, keys, list_shards, sharded, store
from loyalty.repository.table import PROGRAM_WIDE, TTL_ATTRIBUTE

DELIVERY = "DELIVERY"
PREFIX = "dlv_"
EVENT_PREFIX = "evt_"
PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"


def delivery_id(event_id: str, webhook_id: str) -> str:
    """The delivery of an event to an endpoint: the event's time, then 80 bits of a digest of both ids."""
    millis = _millis(event_id.removeprefix(EVENT_PREFIX))
    digest = int(hashlib.sha256(f"{event_id}/{webhook_id}".encode()).hexdigest()[:20], 16)
    return PREFIX + ids.ulid_of(millis, digest)


def _millis(ulid: str) -> int:
    number = 0
    for char in ulid[:10].upper():
        number = number * 32 + ids._ALPHABET.index(char)
    return number


def key(tenant_id: str, delivery: str) -> store.Key[dict[str, Any]]:
    return store.key(f"{keys.tenant(tenant_id)}#DLV#{delivery}", DELIVERY)


def slot(tenant_id: str, webhook_id: str, number: int) -> str:
    """The lease (repository/leases.py) of one of an endpoint's attempts in flight."""
    return f"webhook-slot#{tenant_id}#{webhook_id}#{number}"


def of_webhook(tenant_id: str, webhook_id: str) -> sharded.ShardedCollection[dict[str, Any]]:
    """An endpoint's deliveries by the ULID of their id (newest first is one scatter-gather)."""
    return list_shards.collection(
        tenant_id,
        "events",
        f"{keys.tenant(tenant_id)}#WH#{webhook_id}#DLV",
        PROGRAM_WIDE,
        lambda sort: key(tenant_id, PREFIX + sort),
    )


def item(tenant_id: str, webhook_id: str, event: Mapping[str, Any], due: str) -> dict[str, Any]:
    """A new delivery of `event` to the endpoint, pending, its first attempt due at `due`."""
    delivery = delivery_id(event["id"], webhook_id)
    return {
        **key(tenant_id, delivery),
        "deliveryId": delivery,
        "tenantId": tenant_id,
        "webhookId": webhook_id,
        "eventId": event["id"],
        "type": event["type"],
        "status": PENDING,
        "attempts": 0,
        "since": 0,
        "lastStatusCode": None,
        "nextAttemptAt": due,
        "log": [],
        **of_webhook(tenant_id, webhook_id).entry(event["id"], delivery.removeprefix(PREFIX)),
        TTL_ATTRIBUTE: _kept_until(event["timestamp"]),  # as long as its event (TTL only cleans up)
    }


def _kept_until(timestamp: str) -> int:
    return int((clock.parse_iso(timestamp) + timedelta(days=events.RETENTION_DAYS)).timestamp())


def put_new(stored: dict[str, Any]) -> bool:
    """Create a delivery unless it exists (the event fanned out again); False when it did."""
    return store.create(stored)


def put_new_many(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Create deliveries unless they exist, a transaction per chunk (one round trip for a batch's fan-out); a
    chunk with one that exists (a batch read again) falls back to one put each. The deliveries created now."""
    made: list[dict[str, Any]] = []
    for start in range(0, len(items), store.TRANSACT_LIMIT):
        chunk = items[start : start + store.TRANSACT_LIMIT]
        try:
            store.transact([store.put_new(one) for one in chunk])
        except store.ConditionFailed:
            made += [one for one in chunk if put_new(one)]
        else:
            made += chunk
    return made


def get(tenant_id: str, delivery: str) -> dict[str, Any] | None:
    return store.get(key(tenant_id, delivery)) if delivery.startswith(PREFIX) else None


def record_attempt(
    tenant_id: str,
    delivery: str,
    started_from: int,
    outcome: dict[str, Any],
    status: str,
    next_attempt_at: str | None,
) -> bool:
    """Record one attempt on condition that none was recorded since it started; False when one was (a duplicate)."""
    return store.applied(
        store.update(
            key(tenant_id, delivery),
            set_values={
                "attempts": started_from + 1,
                "status": status,
                "lastStatusCode": outcome.get("statusCode"),
                "nextAttemptAt": next_attempt_at,
            },
            append={"log": [outcome]},
            condition="#n = :n AND #st = :pending",
            names={"#n": "attempts", "#st": "status"},
            values={":n": started_from, ":pending": PENDING},
        )
    )


def stop(tenant_id: str, delivery: str, started_from: int, reason: str) -> bool:
    """Fail a pending delivery without an attempt (its endpoint was deleted or disabled)."""
    return store.applied(
        store.update(
            key(tenant_id, delivery),
            set_values={"status": FAILED, "nextAttemptAt": None, "stoppedReason": reason},
            condition="#n = :n AND #st = :pending",
            names={"#n": "attempts", "#st": "status"},
            values={":n": started_from, ":pending": PENDING},
        )
    )


def restart(tenant_id: str, delivery: str, attempts: int, due: str) -> bool:
    """Make a delivery pending again from its `attempts` (POST …/retry): the schedule starts over."""
    return store.applied(
        store.update(
            key(tenant_id, delivery),
            set_values={"status": PENDING, "since": attempts, "nextAttemptAt": due},
            remove=["stoppedReason"],
            condition="#n = :n",
            names={"#n": "attempts"},
            values={":n": attempts},
        )
    )
