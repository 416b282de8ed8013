"""An offer's per-member and total limits: what is left, the check, the writes that claim one use and give it back.

Reusable by every way of using an offer (offer redemptions, vouchers). The read it needs: the offer
and its usage shards (`repository.offers.read_offer`, one BatchGetItem) and, for a member, the member's
state for the offer (`repository.activations.key`, read with the request's other items).
Claiming is exact under any concurrency: the writes carry the limits as conditions (see
`repository.offers.take_use`, `repository.activations.use_item`), and a lost race re-reads and
decides again (`operation.run`).

Period limits (issue 23): `maxRedemptionsPerMemberInterval` day / week / month / year counts a member's
uses in UTC calendar windows named as activity caps name them (`services.awards.window`), by the
server's clock when the use is decided (the transaction commits within it, or re-decides): one counter
item per (member, offer, window) (`repository.activations.window_key`), claimed on condition
`count < maxRedemptionsPerMember`. `lifetime` (the default, and offers stored before) keeps counting
on the member's state item (`uses`), which counts every use in any case. The window a use was counted
in is stored with it (`limitWindow`), so a reversal gives it back there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loyalty.errors import Conflict
from loyalty.repository import activations as activations_db
from loyalty.repository import awards as awards_db
from loyalty.repository import offer_usage as usage_db
from loyalty.repository import offers as offers_db
from loyalty.repository import store
from loyalty.services import awards

if TYPE_CHECKING:
    from datetime import datetime

    from loyalty.repository.records import OfferRecord

LIFETIME = "lifetime"


def interval(offer: OfferRecord) -> str:
    """The window maxRedemptionsPerMember counts in (offers stored before period limits: lifetime)."""
    return offer.get("maxRedemptionsPerMemberInterval") or LIFETIME


def window(offer: OfferRecord, now: datetime) -> tuple[str, int | None] | None:
    """The member's limit window a use at `now` counts in and when its counter may be forgotten; None when
    the offer has no per-member limit or a lifetime one (counted on the member's state item)."""
    if offer.get("maxRedemptionsPerMember") is None or interval(offer) == LIFETIME:
        return None
    return awards.window(interval(offer), now)


def counter_key(tenant_id: str, member_id: str | None, offer: OfferRecord, now: datetime) -> store.Key | None:
    """The member's counter of the offer's uses in the window of `now`, to read with the member's state
    (None: no member, or a limit counted on the state item)."""
    current = window(offer, now)
    if member_id is None or current is None:
        return None
    return activations_db.window_key(tenant_id, member_id, offer["offerId"], current[0])


def member_uses(state: dict[str, Any] | None) -> int:
    uses: int = (state or {}).get("uses", 0)
    return uses


def _counted(offer: OfferRecord, state: dict[str, Any] | None, counter: dict[str, Any] | None) -> int:
    """The member's uses the per-member limit counts: the window's counter, or every use (lifetime)."""
    if interval(offer) == LIFETIME:
        return member_uses(state)
    count: int = (counter or {}).get("count", 0)
    return count


def left(
    offer: OfferRecord,
    shards: list[dict[str, Any]],
    state: dict[str, Any] | None,
    counter: dict[str, Any] | None = None,
) -> int | None:
    """Uses left for a member (state None: none yet; counter: the current window's) under both limits;
    None = unlimited."""
    room = []
    total, per_member = offer.get("maxRedemptionsTotal"), offer.get("maxRedemptionsPerMember")
    if total is not None:
        room.append(max(0, total - usage_db.used(shards)))
    if per_member is not None:
        room.append(max(0, per_member - _counted(offer, state, counter)))
    return min(room) if room else None


def check(
    offer: OfferRecord,
    shards: list[dict[str, Any]],
    state: dict[str, Any] | None,
    counter: dict[str, Any] | None = None,
) -> None:
    """409 offer_limit_reached when the member's (in the current window) or the offer's limit is used up."""
    per_member, used = offer.get("maxRedemptionsPerMember"), _counted(offer, state, counter)
    if per_member is not None and used >= per_member:
        span = "" if interval(offer) == LIFETIME else f" this {interval(offer)}"
        raise Conflict(
            "offer_limit_reached",
            f"The member has used this offer {used} times{span} already (the limit is {per_member}).",
        )
    if not usage_db.with_room(shards):
        total = offer.get("maxRedemptionsTotal")
        raise Conflict(
            "offer_limit_reached",
            f"The offer has been used {usage_db.used(shards)} times already (the limit is {total}).",
        )


def claim(
    tenant_id: str,
    offer: OfferRecord,
    shards: list[dict[str, Any]],
    member_id: str | None,
    state: dict[str, Any] | None,
    counter: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> list[store.TxItem]:
    """Check the limits as read, then the transaction items that take one use (member's and total; with a
    period limit, the member's counter of the window of `now`, read as `counter`)."""
    check(offer, shards, state if member_id is not None else None, counter if member_id is not None else None)
    items = [offers_db.take_use(tenant_id, offer, shards)]
    if member_id is None:
        return items
    current = None if now is None else window(offer, now)
    if current is None:
        assert interval(offer) == LIFETIME or offer.get("maxRedemptionsPerMember") is None, "a period limit needs now"
        return [*items, activations_db.use_item(tenant_id, member_id, offer)]
    name, forget_at = current
    per_member = offer["maxRedemptionsPerMember"]
    assert per_member is not None
    window_counter = activations_db.window_key(tenant_id, member_id, offer["offerId"], name)
    return [
        *items,
        activations_db.use_item(tenant_id, member_id, offer, limited=False),
        awards_db.count_one(window_counter, per_member, forget_at),
    ]


def window_name(offer: OfferRecord, member_id: str | None, now: datetime) -> dict[str, str]:
    """`{"limitWindow": name}` to store with a use counted in a window (nothing otherwise)."""
    current = window(offer, now)
    return {} if member_id is None or current is None else {"limitWindow": current[0]}
