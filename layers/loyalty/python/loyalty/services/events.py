"""The event builder (§13): one change of an item of the table (its key, old and new image) → zero or more events.

It runs on the table's change stream (deployed: a Lambda on DynamoDB Streams, functions/build_events; locally:
the poller of `make serve`, tools/local/stream.py), never on a request path: the money transactions write
nothing more for events. It writes nothing itself (services/event_store.py stores what it builds); it reads
the program settings (a member's tier, cached) and an activated offer (its code).

What makes an event (the item's kind is named by repository/events.entity, by key; our own event items make none):

| item | change | events |
| --- | --- | --- |
| member | created | member.created |
| member | erasedAt set | member.erased (nothing else) |
| member | a field PATCH /members can set changed | member.updated |
| member | the tier the API shows changed | tier.changed (data: the member, with `previousTier`) |
| ledger entry | created | points.awarded / deducted / redeemed / returned / refunded / expired (by type) |
| ledger entry | pending → approved / auto_approved / rejected | points.approved / points.rejected |
| reward redemption | created; → completed; → cancelled | redemption.created / completed / cancelled |
| member's state for an offer | activatedAt set | offer.activated |
| offer redemption | created; → reversed | offer.redeemed / offer.reversed |
| voucher | created; → redeemed; → cancelled | voucher.issued / redeemed / cancelled |
| referral entry | created | referral.completed |
| challenge response | created | challenge.responded (its approval makes points.awarded through its ledger entry) |

Event id (the rule): `evt_` + a ULID whose 48-bit time is the event's `timestamp` (milliseconds) and whose 80
bits are the first 80 bits of SHA-256 over the event type, the item's key and the canonical JSON of its old and
new images. The same change reprocessed (a retried batch, a stream read again) has the same images, so the same
id, and the store keeps the first; two changes of one item differ in their images (a version, a status, a
time), so they differ in id. The timestamp is the change's own time from the new image (createdAt, updatedAt,
approvedAt, …), else the stream record's ApproximateCreationDateTime, both fixed for a given change.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from loyalty import clock, ids
from loyalty.models.members import MemberUpdate
from loyalty.repository import events as events_db
from loyalty.repository import offers as offers_db
from loyalty.repository import store
from loyalty.repository.marshal import from_item
from loyalty.services import (
    challenges,
    members,
    offer_redemptions,
    program,
    redemptions,
    referrals,
    transactions,
    vouchers,
)

# The member fields PATCH /members can set: a change of one of them is member.updated (a balance move is not).
PATCHABLE = tuple(f.alias or name for name, f in MemberUpdate.model_fields.items())

POINTS = {
    "award": "points.awarded",
    "deduct": "points.deducted",
    "redeem": "points.redeemed",
    "return": "points.returned",
    "refund": "points.refunded",
    "expire": "points.expired",
}
# Events a job stores itself, not the builder (services/expiring_soon.py): fanned out to webhooks from their
# own items' insertions on the stream (services/event_store.stored_by_jobs).
MADE_BY_JOBS = ("points.expiring_soon", "import.completed")  # import.completed: services/imports.complete_import
SETTLED = {"approved": "points.approved", "auto_approved": "points.approved", "rejected": "points.rejected"}
REDEMPTION = {"completed": "redemption.completed", "cancelled": "redemption.cancelled"}
VOUCHER = {"redeemed": ("voucher.redeemed", "redeemedAt"), "cancelled": ("voucher.cancelled", "cancelledAt")}


@dataclass(frozen=True)
class Change:
    """One stream record: the changed item's key, its images (None: not there before / after) and the
    record's approximate time (ISO), the fallback timestamp of an event whose image names no time."""

    pk: str
    sk: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    at: str


@dataclass(frozen=True)
class Built:
    """An event and what storing it needs: its tenant, the member it concerns (erasure finds it by this) and
    the owner its list entry is sharded by."""

    tenant_id: str
    event: dict[str, Any]
    member_id: str | None
    owner: str


@dataclass
class Lookups:
    """The reads the builder makes (tests may replace them): program settings and an offer, cached per build."""

    settings: Callable[[str], dict[str, Any]] = program.load
    offer: Callable[[str, str], Mapping[str, Any] | None] = field(
        default=lambda tenant_id, offer_id: store.get(offers_db.offer_key(tenant_id, offer_id), consistent=False)
    )


def change_of(record: Mapping[str, Any]) -> Change | None:
    """A stream record (Lambda's event or GetRecords' answer, typed attribute values) as a Change."""
    body = record.get("dynamodb") or {}
    item_key = from_item(body.get("Keys")) or {}
    try:
        pk, sk = store.partition_of(item_key), store.sort_key(item_key)
    except KeyError:
        return None
    when = body.get("ApproximateCreationDateTime")
    if isinstance(when, datetime):
        at = clock.iso(when)
    elif when is not None:
        at = clock.iso(datetime.fromtimestamp(float(when), UTC))
    else:
        at = clock.iso(clock.now())
    return Change(str(pk), str(sk), from_item(body.get("OldImage")), from_item(body.get("NewImage")), at)


def event_id(type_: str, change: Change, timestamp: str) -> str:
    """The event's id by the rule of the module's docstring."""
    canonical = json.dumps([type_, change.pk, change.sk, change.old, change.new], sort_keys=True, default=str)
    digest = int.from_bytes(hashlib.sha256(canonical.encode()).digest()[:10], "big")
    millis = int(clock.parse_iso(timestamp).timestamp() * 1000)
    return events_db.PREFIX + ids.ulid_of(millis, digest)


class _Builder:
    def __init__(self, change: Change, tenant_id: str, lookups: Lookups) -> None:
        self.change, self.tenant_id, self.lookups = change, tenant_id, lookups
        self.out: list[Built] = []

    def emit(self, type_: str, data: dict[str, Any], member_id: str | None, owner: str, when: Any = None) -> None:
        timestamp = when if isinstance(when, str) and when else self.change.at
        event = {
            "id": event_id(type_, self.change, timestamp),
            "type": type_,
            "timestamp": timestamp,
            "tenantId": self.tenant_id,
            "data": data,
        }
        self.out.append(Built(self.tenant_id, event, member_id, owner))

    # --- one method per kind of item (repository/events.entity) ---

    def member(self, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
        member_id = new["memberId"]
        if new.get("importWrite") and new.get("importWrite") != (old or {}).get("importWrite"):
            return  # a member import's write: no per-row event, one import.completed (services/imports.py)
        shown = members.public(self.tenant_id, cast("Any", new))
        if old is None:
            self.emit("member.created", shown, member_id, member_id, new.get("createdAt"))
            return
        if new.get("erasedAt") and not old.get("erasedAt"):
            self.emit("member.erased", shown, member_id, member_id, new.get("erasedAt"))
            return
        if any(old.get(name) != new.get(name) for name in PATCHABLE):
            self.emit("member.updated", shown, member_id, member_id, new.get("updatedAt"))
        settings = self.lookups.settings(self.tenant_id)
        before, after = members.tier_of(settings, cast("Any", old)), members.tier_of(settings, cast("Any", new))
        if before != after:
            data = {**shown, "tier": after, "previousTier": before}
            self.emit("tier.changed", data, member_id, member_id, new.get("updatedAt"))

    def transaction(self, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
        shown, member_id = transactions.public(cast("Any", new)), new["memberId"]
        if old is None:
            if new.get("importId"):
                return  # a member import's entry (an opening balance, an imported lot expired): no per-row event
            if new["type"] in POINTS:
                self.emit(POINTS[new["type"]], shown, member_id, member_id, new.get("createdAt"))
            return
        if old.get("status") == "pending" and new.get("status") in SETTLED:
            self.emit(SETTLED[new["status"]], shown, member_id, member_id, new.get("approvedAt"))

    def redemption(self, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
        shown, member_id = redemptions.public(cast("Any", new)), new["memberId"]
        if old is None:
            self.emit("redemption.created", shown, member_id, member_id, new.get("createdAt"))
        elif old.get("status") != new.get("status") and new.get("status") in REDEMPTION:
            self.emit(REDEMPTION[new["status"]], shown, member_id, member_id, new.get("updatedAt"))

    def offerRedemption(self, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
        shown = offer_redemptions.public(cast("Any", new))
        member_id, owner = new.get("memberId"), new.get("memberId") or new["id"]
        if old is None:
            self.emit("offer.redeemed", shown, member_id, owner, new.get("createdAt"))
        elif old.get("status", "redeemed") != "reversed" and new.get("status") == "reversed":
            self.emit("offer.reversed", shown, member_id, owner, new.get("reversedAt"))

    def voucher(self, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
        shown = vouchers.public(cast("Any", new))
        member_id, owner = new.get("memberId"), new.get("memberId") or new["voucherId"]
        if old is None:
            self.emit("voucher.issued", shown, member_id, owner, new.get("acquiredAt"))
        elif old.get("status") != new.get("status") and new.get("status") in VOUCHER:
            type_, time_field = VOUCHER[new["status"]]
            self.emit(type_, shown, member_id, owner, new.get(time_field))

    def activation(self, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
        if not new.get("activatedAt") or (old or {}).get("activatedAt"):
            return  # not activated now, or activated already (a use of the offer, a second activation)
        member_id, offer_id = new["memberId"], new["offerId"]
        offer = self.lookups.offer(self.tenant_id, offer_id)
        data = {
            "memberId": member_id,
            "offerId": offer_id,
            "offerCode": (offer or {}).get("offerCode"),
            "activated": True,
            "activatedAt": new["activatedAt"],
        }
        self.emit("offer.activated", data, member_id, member_id, new["activatedAt"])

    def referral(self, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
        if old is None:
            self.emit("referral.completed", referrals.public(new), new["refereeId"], new["refereeId"], new.get("at"))

    def challengeResponse(self, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
        if old is None:
            member_id = new["memberId"]
            shown = challenges.public_response(new)
            self.emit("challenge.responded", shown, member_id, member_id, new.get("createdAt"))


def build(change: Change, lookups: Lookups | None = None) -> list[Built]:
    """The events of one change (none for a deletion, an item that makes no event, or our own event items)."""
    found = events_db.entity(change.pk, change.sk)
    if found is None or found.kind == "event" or change.new is None:
        return []
    builder = _Builder(change, found.tenant_id, lookups or Lookups())
    old, new = (store.plain(image) if image else None for image in (change.old, change.new))
    assert new is not None
    getattr(builder, found.kind)(old, new)
    return builder.out
