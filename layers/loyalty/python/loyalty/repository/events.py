"""Events (§13): the stored event items, their lists, and what kind of entity a changed item of the table is.

An event is `T#<t>#EVT#<eventId>` / EVENT. It is listed tenant-wide (PROGRAM_WIDE under `T#<t>#EVENTS#S<k>`,
one of the tenant's "events" shards by a hash of its member, else of its entity), sorted by the id's ULID
(the event's time: newest first is one scatter-gather). An event that concerns a member is also listed in
the table itself, not in an index: one small item `T#<t>#M#<memberId>#EVT` / `<eventId>` per event, written
before the event (`member_entry`), so that an erasure reads the member's events strongly consistently
(`ids_of_member`; an index lags its writes on AWS, and an event it did not show yet would stay unredacted).
An event is kept RETENTION_DAYS: pages bound the window themselves, the TTL attribute only cleans up.

`entity(pk, sk)` names what a changed item is (the event builder, services/events.py, reads the stream
through it, so the keys stay spelled here): a member, a member's state for an offer, a referral, a ledger
entry, a reward redemption, an offer redemption, a voucher; our own event items are "event" (ignored).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

from loyalty.repository import (
    activations,
    challenges,
    keys,
    ledger,
    list_shards,
    members,
    offer_redemptions,
    redemptions,
    referrals,
    sharded,
    store,
    vouchers,
)
from loyalty.repository.table import PROGRAM_WIDE, TTL_ATTRIBUTE

EVENT = "EVENT"
PREFIX = "evt_"  # an event id: evt_ + a ULID whose time is the event's (see services/events.py)
RETENTION_DAYS = 30
BODY = "body"  # the event as JSON text: its fields keep their order (a DynamoDB map does not)


def _text(event: Mapping[str, Any]) -> str:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


class Entity(NamedTuple):
    # member, activation, referral, challengeResponse, transaction, redemption, offerRedemption, voucher, event
    kind: str
    tenant_id: str


def key(tenant_id: str, event_id: str) -> store.Key[dict[str, Any]]:
    return store.key(f"{keys.tenant(tenant_id)}#EVT#{event_id}", EVENT)


def _of_member(tenant_id: str, member_id: str) -> str:
    return f"{members.partition(tenant_id, member_id)}#EVT"


def of_program(tenant_id: str) -> sharded.ShardedCollection[dict[str, Any]]:
    """Every event of the tenant, by the ULID of its id, write-sharded (the tenant's "events" count)."""
    return list_shards.collection(
        tenant_id,
        "events",
        f"{keys.tenant(tenant_id)}#EVENTS",
        PROGRAM_WIDE,
        lambda sort: key(tenant_id, PREFIX + sort),
    )


def member_entry(tenant_id: str, member_id: str, event_id: str, expires_epoch: int) -> dict[str, Any]:
    """The table item that lists an event of a member (no personal data: the key and a TTL)."""
    return {**store.key(_of_member(tenant_id, member_id), event_id), TTL_ATTRIBUTE: expires_epoch}


def ids_of_member(tenant_id: str, member_id: str) -> list[str]:
    """The ids of the member's stored events, read from the table (strongly consistent, every page)."""
    return [store.sort_key(entry) for entry in store.Collection(_of_member(tenant_id, member_id)).all()]


def item(
    tenant_id: str, event: dict[str, Any], owner: str, member_id: str | None, expires_epoch: int
) -> dict[str, Any]:
    """The stored event: key, the event, its member (if any), its TTL, and its tenant-wide list's entry (the
    member's list is an item of its own, `member_entry`)."""
    sort = event["id"].removeprefix(PREFIX)
    out = {**key(tenant_id, event["id"]), BODY: _text(event), "type": event["type"], TTL_ATTRIBUTE: expires_epoch}
    out.update(of_program(tenant_id).entry(owner, sort))
    if member_id:
        out["memberId"] = member_id
    return out


def put_new(stored: dict[str, Any]) -> bool:
    """Store an event unless it is stored already (a change reprocessed: same id); False when it was."""
    return store.create(stored)


def replace_event(tenant_id: str, event_id: str, event: dict[str, Any]) -> store.TxItem:
    """Rewrite a stored event's body (an erasure's redaction), on condition that it is stored."""
    return store.update(key(tenant_id, event_id), set_values={BODY: _text(event)}, condition=store.PRESENT)


def text_of(stored: Mapping[str, Any]) -> str:
    """The event a stored item holds, as its JSON text (what a webhook delivery sends)."""
    return str(stored[BODY])


def event_of(stored: Mapping[str, Any]) -> dict[str, Any]:
    """The event a stored item holds."""
    event: dict[str, Any] = json.loads(stored[BODY])
    return event


def entity(pk: str, sk: str) -> Entity | None:
    """What the item at (pk, sk) is, for the event builder; None for anything that makes no event."""
    if not pk.startswith("T#"):
        return None  # platform data (tenant registry, key index, leases)
    tenant_id, _, rest = pk[2:].partition("#")
    entity_id = rest.partition("#")[2]
    given = {"pk": pk, "sk": sk}
    by_key = {
        "event": key(tenant_id, entity_id),
        "transaction": ledger.key(tenant_id, entity_id),
        "redemption": redemptions.key(tenant_id, entity_id),
        "offerRedemption": offer_redemptions.key(tenant_id, entity_id),
        "voucher": vouchers.voucher_key(tenant_id, entity_id),
    }
    for kind, candidate in by_key.items():
        if candidate == given:
            return Entity(kind, tenant_id)
    if pk != members.partition(tenant_id, entity_id):
        return None
    if sk == members.MEMBER:
        return Entity("member", tenant_id)
    if sk.startswith(activations.PREFIX):
        return Entity("activation", tenant_id)
    if sk.startswith(f"{referrals.ENTRY}#"):
        return Entity("referral", tenant_id)
    if sk.startswith(f"{challenges.RESPONSE}#"):
        return Entity("challengeResponse", tenant_id)
    return None
