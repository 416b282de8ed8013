"""Reward grants (contract section 11): a reward given to a member without points (service recovery).

A grant is a redemption (services/redemptions.py, the same item, lists, events, complete and cancel)
with `points: 0`, no ledger transaction (`transactionId: null`), `grantedBy` (the caller's key id, or
OAuth client id) and `reason`. A coupon reward's code is taken from its pool in the same transaction
as the redemption, exactly as a paid redemption takes one, so `issued + available = total` holds
and a grant racing redemptions for the last code leaves one winner.

Rules (docs/decisions.md "Reward grants"): the reward must be redeemable now (active, within its dates,
its coupon codes not expired: else `409 reward_inactive`) and the member must be active (`409
invalid_state`); tierIds, segments, maxPerMember and the member's balance do not apply. A grant does
not count toward maxPerMember: it writes none of the member's reward counters, so a member given a
reward may still redeem it as often as the limit allows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loyalty import clock, ids
from loyalty.errors import Conflict
from loyalty.operation import Caller, Operation, run
from loyalty.repository import members as members_db
from loyalty.repository import redemptions as redemptions_db
from loyalty.repository import rewards as rewards_db
from loyalty.repository import store
from loyalty.services import redemptions, rewards

if TYPE_CHECKING:
    from loyalty.models.rewards import RewardGrantCreate
    from loyalty.repository.records import RedemptionRecord

# The redemption rules a grant keeps (services.redemptions.ineligible_reasons): the member and the reward's
# own state. Tier, member limit, balance (and segments) are what a grant is for overriding.
GRANT_RULES = ("member_inactive", "inactive", "not_started", "ended", "coupon_expired")
UNKNOWN_GRANTOR = "unknown"  # a caller without a named credential (never through the gateway)


def grant(caller: Caller, member_id: str, body: RewardGrantCreate) -> dict[str, Any]:
    """Check the member and the reward, take one code (coupon rewards), record the redemption: one transaction."""
    tenant_id = caller.tenant_id
    reward = rewards.load(tenant_id, body.rewardId)

    def attempt(operation: Operation) -> dict[str, Any]:
        now, redemption_id = clock.now(), ids.ulid()
        member = operation.read_existing(members_db.key(tenant_id, member_id), "member")
        reasons = redemptions.ineligible_reasons(reward, member, None, None, now, None)
        kept = [reason for reason in reasons if reason in GRANT_RULES]
        if kept:
            raise Conflict(*redemptions.refusal(kept[0], reward, member))
        code = redemptions.claim(tenant_id, reward) if reward["fulfillment"] == "coupon" else None
        redemption: RedemptionRecord = {
            "redemptionId": redemption_id,
            "memberId": member_id,
            "rewardId": reward["rewardId"],
            "rewardName": reward["name"],
            "points": 0,
            "value": reward["value"],
            "currency": reward["currency"],
            "couponCode": code,
            "couponExpiry": reward["couponExpiry"] if code else None,
            "status": "issued" if code else "pending",
            "transactionId": None,
            "refundTransactionId": None,
            "cancelReason": None,
            "grantedBy": caller.principal or UNKNOWN_GRANTOR,
            "reason": body.reason,
            "createdAt": clock.iso(now),
            "updatedAt": clock.iso(now),
        }
        items = [
            # the member is still the one read (not erased or suspended meanwhile); nothing of it is written
            members_db.unchanged(tenant_id, member),
            *rewards_db.hand_out(tenant_id, reward, code, {"redemptionId": redemption_id, "memberId": member_id}),
            store.put_new(redemptions_db.item(tenant_id, redemption)),
        ]
        return operation.commit(items, redemptions.public(redemption))

    return run(caller, attempt)


def is_grant(redemption: RedemptionRecord) -> bool:
    """A redemption given by a grant (no points, no transaction), not paid for."""
    return bool(redemption.get("grantedBy"))
