"""An offer's per-member and total limits: what is left, the check, and the writes that claim one use.

Reusable by every way of using an offer (offer redemptions, vouchers). The read it needs: the offer
and its usage shards (`repository.offers.read_offer`, one BatchGetItem) and, for a member, the member's
state for the offer (`repository.activations.key`, read with the request's other items).
Claiming is exact under any concurrency: the writes carry the limits as conditions (see
`repository.offers.take_use`, `repository.activations.use_item`), and a lost race re-reads and
decides again (`operation.run`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loyalty.errors import Conflict
from loyalty.repository import activations as activations_db
from loyalty.repository import offer_usage as usage_db
from loyalty.repository import offers as offers_db
from loyalty.repository import store

if TYPE_CHECKING:
    from loyalty.repository.records import OfferRecord


def member_uses(state: dict[str, Any] | None) -> int:
    uses: int = (state or {}).get("uses", 0)
    return uses


def left(offer: OfferRecord, shards: list[dict[str, Any]], state: dict[str, Any] | None) -> int | None:
    """Uses left for a member (state None: none yet) under both limits; None = unlimited."""
    room = []
    total, per_member = offer.get("maxRedemptionsTotal"), offer.get("maxRedemptionsPerMember")
    if total is not None:
        room.append(max(0, total - usage_db.used(shards)))
    if per_member is not None:
        room.append(max(0, per_member - member_uses(state)))
    return min(room) if room else None


def check(offer: OfferRecord, shards: list[dict[str, Any]], state: dict[str, Any] | None) -> None:
    """409 offer_limit_reached when the member's or the offer's limit is used up."""
    per_member, used = offer.get("maxRedemptionsPerMember"), member_uses(state)
    if per_member is not None and used >= per_member:
        raise Conflict(
            "offer_limit_reached", f"The member has used this offer {used} times already (the limit is {per_member})."
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
) -> list[store.TxItem]:
    """Check the limits as read, then the transaction items that take one use (member's and total)."""
    check(offer, shards, state if member_id is not None else None)
    items = [offers_db.take_use(tenant_id, offer, shards)]
    return items if member_id is None else [*items, activations_db.use_item(tenant_id, member_id, offer)]
