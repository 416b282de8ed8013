"""A member's state for one offer: `activatedAt` while the offer is activated (clipped), `uses` made.

`T#t#MEMBER#<memberId>` / `OFFER#<offerId>`, in the member's partition and in no index. A use adds 1
on condition the member's per-member limit still has room, in the same transaction as the offer's
usage counter (repository/offer_usage.py), so neither limit can be passed however many requests race.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from loyalty.repository import members, store
from loyalty.repository import offers as offers_db

if TYPE_CHECKING:
    from loyalty.repository.records import OfferRecord

PREFIX = "OFFER#"
WINDOW_PREFIX = "OFFERUSE#"  # a member's uses of an offer in one window of a period limit (not under PREFIX)


def key(tenant_id: str, member_id: str, offer_id: str) -> store.Key:
    return store.key(members.partition(tenant_id, member_id), f"{PREFIX}{offer_id}")


def activation_item(
    tenant_id: str, member_id: str, offer_id: str, state: dict[str, Any] | None, activated_at: str | None
) -> store.TxItem:
    """Set or clear `activatedAt` on condition the member's state for the offer is as read."""
    state_key = key(tenant_id, member_id, offer_id)
    fields = {"memberId": member_id, "offerId": offer_id}
    if state is None:
        activated = {"activatedAt": activated_at} if activated_at else {}
        return store.put_new({**state_key, **fields, "uses": 0, **activated})
    return store.update(
        state_key,
        set_values={"activatedAt": activated_at} if activated_at else None,
        remove=() if activated_at else ("activatedAt",),
        condition="#uses = :uses",
        names={"#uses": "uses"},
        values={":uses": state["uses"]},
    )


def window_key(tenant_id: str, member_id: str, offer_id: str, window: str) -> store.Key:
    """The member's count of uses of an offer in one window of its period limit (`count`, forgotten by TTL
    after the window; written with `repository.awards.count_one`, as activity caps are)."""
    return store.key(members.partition(tenant_id, member_id), f"{WINDOW_PREFIX}{offer_id}#{window}")


def use_item(tenant_id: str, member_id: str, offer: OfferRecord, *, limited: bool = True) -> store.TxItem:
    """+1 on the member's uses of the offer, on condition `uses < maxRedemptionsPerMember` when it has one
    and it counts here (`limited`: a lifetime limit; a period limit counts in a window counter)."""
    per_member = offer.get("maxRedemptionsPerMember") if limited else None
    return store.update(
        key(tenant_id, member_id, offer["offerId"]),
        set_values={"memberId": member_id, "offerId": offer["offerId"]},
        add={"uses": 1},
        condition=None if per_member is None else "attribute_not_exists(#used) OR #used < :max",
        names=None if per_member is None else {"#used": "uses"},
        values=None if per_member is None else {":max": per_member},
    )


def offers_and_states(
    tenant_id: str,
    member_id: str,
    offer_ids: list[str],
    *,
    also: Sequence[store.Key[Any]] = (),
    with_offers: bool = False,
) -> tuple[list[Any], dict[str, OfferRecord], dict[str, dict[str, Any]]]:
    """`also`'s items (of any record; None where absent), the offers by id (when asked) and this member's
    state for each offer: one BatchGetItem per 100 keys."""
    wanted: list[store.Key[Any]] = [*also, *(key(tenant_id, member_id, offer_id) for offer_id in offer_ids)]
    if with_offers:
        wanted += [offers_db.offer_key(tenant_id, offer_id) for offer_id in offer_ids]
    found = store.get_many(wanted)
    rest = [item for item in found[len(also) :] if item]
    offers = {item["offerId"]: item for item in rest if store.sort_key(item) == offers_db.OFFER}
    states = {item["offerId"]: item for item in rest if store.sort_key(item).startswith(PREFIX)}
    return found[: len(also)], offers, states


def give_back_item(tenant_id: str, member_id: str, offer_id: str) -> store.TxItem:
    """-1 on the member's uses of the offer (a reversal), on condition there is one."""
    return store.update(
        key(tenant_id, member_id, offer_id),
        add={"uses": -1},
        condition="#uses >= :one",
        names={"#uses": "uses"},
        values={":one": 1},
    )


def give_back_window_item(counter: store.Key) -> store.TxItem:
    """-1 on a window counter read present (a reversal), on condition it still is and counts one."""
    return store.update(counter, add={"count": -1}, condition="#c >= :one", names={"#c": "count"}, values={":one": 1})


def windows_of_member(tenant_id: str, member_id: str) -> list[dict[str, Any]]:
    """A member's window counters of every offer (the checker's read)."""
    return store.Collection(members.partition(tenant_id, member_id)).all(
        sort="begins_with(#s, :prefix)", values={":prefix": WINDOW_PREFIX}, limit=500
    )


def window_of(counter: dict[str, Any]) -> tuple[str, str]:
    """(offerId, window) of a window counter read back."""
    offer_id, window = store.sort_key(counter)[len(WINDOW_PREFIX) :].split("#", 1)
    return offer_id, window


def of_member(tenant_id: str, member_id: str) -> list[dict[str, Any]]:
    """A member's state items for every offer the member activated or used (the checker's read)."""
    return store.Collection(members.partition(tenant_id, member_id)).all(
        sort="begins_with(#s, :prefix)", values={":prefix": PREFIX}, limit=500
    )
