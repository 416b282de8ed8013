"""Reward redemptions: redeem (points, code and record in one transaction), list, complete, cancel with refund."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from loyalty import clock, ids
from loyalty.errors import Conflict
from loyalty.models.rewards import Redemption, RedemptionCancel, RedemptionCreate, RedemptionListQuery
from loyalty.models.types import fields_of
from loyalty.operation import Caller, Operation, run
from loyalty.repository import members as members_db
from loyalty.repository import redemptions as redemptions_db
from loyalty.repository import rewards as rewards_db
from loyalty.repository import store
from loyalty.results import Page
from loyalty.services import listing, members, program, rewards, transactions
from loyalty.services.book import Book, expires_at

if TYPE_CHECKING:
    from loyalty.repository.records import MemberRecord, RedemptionRecord, RewardRecord


def public(item: RedemptionRecord) -> dict[str, Any]:
    return fields_of(Redemption, item)


def _claim(tenant_id: str, reward: RewardRecord) -> str:
    """A code still in the reward's pool (repository/pools.py picks it so that racers rarely collide)."""
    code = rewards_db.claim_code(tenant_id, reward)
    if code is None:
        raise Conflict("out_of_stock", "The reward has no codes left.")
    return code


def _check_can_redeem(reward: RewardRecord, member: MemberRecord, counter: dict[str, Any] | None, tier: Any) -> None:
    if not reward["isActive"]:
        raise Conflict("reward_inactive", "The reward is not active.")
    expiry = reward.get("couponExpiry")
    if reward["fulfillment"] == "coupon" and expiry and expiry < clock.day(clock.now()):
        raise Conflict("reward_inactive", f"The reward's coupon codes were valid until {expiry}.")
    if reward["tierIds"] and (tier is None or tier["tierId"] not in reward["tierIds"]):
        raise Conflict("not_eligible", "The member's tier may not redeem this reward.")
    if reward["maxPerMember"] is not None and (counter or {}).get("count", 0) >= reward["maxPerMember"]:
        raise Conflict(
            "frequency_limit_reached", f"The member holds {reward['maxPerMember']} redemptions of this reward already."
        )


def redeem(caller: Caller, member_id: str, body: RedemptionCreate) -> dict[str, Any]:
    """Check, deduct the points (a `redeem` transaction), take one code, record the redemption: all or nothing."""
    tenant_id = caller.tenant_id
    reward = rewards.load(tenant_id, body.rewardId)
    settings = program.load(tenant_id)

    def attempt(operation: Operation) -> dict[str, Any]:
        wanted: list[store.Key[Any]] = [
            members_db.key(tenant_id, member_id),
            redemptions_db.count_key(tenant_id, member_id, reward["rewardId"]),
        ]
        member, counter = operation.read(wanted)
        member = store.required(member, "member")
        book = Book(tenant_id, member)
        book.require_active()
        _check_can_redeem(reward, member, counter, members.tier_of(settings, member))
        now, redemption_id, cost = clock.now(), ids.ulid(), reward["pointsCost"]
        book.spend(cost)
        book.balance["redeemed"] += cost
        code = _claim(tenant_id, reward) if reward["fulfillment"] == "coupon" else None
        entry, posted = transactions.post(
            book,
            now,
            "redeem",
            cost,
            "approved",
            rewardId=reward["rewardId"],
            redemptionId=redemption_id,
            reason=f"redeemed {reward['name']}",
        )
        redemption: RedemptionRecord = {
            "redemptionId": redemption_id,
            "memberId": member_id,
            "rewardId": reward["rewardId"],
            "rewardName": reward["name"],
            "points": cost,
            "value": reward["value"],
            "currency": reward["currency"],
            "couponCode": code,
            "couponExpiry": reward["couponExpiry"] if code else None,
            "status": "issued" if code else "pending",
            "transactionId": entry["transactionId"],
            "refundTransactionId": None,
            "cancelReason": None,
            "createdAt": clock.iso(now),
            "updatedAt": clock.iso(now),
        }
        items = [
            *posted,
            store.put_new(redemptions_db.item(tenant_id, redemption)),
            redemptions_db.count(tenant_id, member_id, reward["rewardId"], +1),
            *rewards_db.hand_out(tenant_id, reward, code, {"redemptionId": redemption_id, "memberId": member_id}),
        ]
        return operation.commit(items, public(redemption))

    return run(caller, attempt)


def get_redemption(tenant_id: str, redemption_id: str) -> dict[str, Any]:
    return public(store.get_required(redemptions_db.key(tenant_id, redemption_id), "redemption"))


def list_redemptions(
    tenant_id: str, query: RedemptionListQuery, member_id: str | None = None
) -> Page[list[dict[str, Any]]]:
    """Newest first, one member's (with member_id) or the program's; filter status."""
    return listing.newest_first(
        tenant_id,
        query,
        member_id,
        "redemptions",
        redemptions_db.of_member(tenant_id, member_id) if member_id else redemptions_db.of_program(tenant_id),
        ("status",),
        public,
    )


def _read(operation: Operation, tenant_id: str, redemption_id: str, allowed: tuple[str, ...]) -> RedemptionRecord:
    item = operation.read_existing(redemptions_db.key(tenant_id, redemption_id), "redemption")
    if item["status"] not in allowed:
        raise Conflict("invalid_state", f"A redemption that is {item['status']} can't move this way.")
    return item


def complete(caller: Caller, redemption_id: str) -> dict[str, Any]:
    """A manual reward was handed over: pending → completed."""
    tenant_id = caller.tenant_id

    def attempt(operation: Operation) -> dict[str, Any]:
        item = _read(operation, tenant_id, redemption_id, ("pending",))
        changes = {"status": "completed", "updatedAt": clock.iso(clock.now())}
        return operation.commit(
            [redemptions_db.move_if(tenant_id, item, changes)], public(_moved(item, changes)), status=200
        )

    return run(caller, attempt)


def cancel(caller: Caller, redemption_id: str, body: RedemptionCancel) -> dict[str, Any]:
    """Cancel an issued or pending redemption; with `refund` (default) the points come back as fresh points."""
    tenant_id = caller.tenant_id
    refund = True if body.refund is None else body.refund

    def attempt(operation: Operation) -> dict[str, Any]:
        item = _read(operation, tenant_id, redemption_id, ("issued", "pending"))
        now = clock.now()
        changes: dict[str, Any] = {
            "status": "cancelled",
            "cancelReason": body.reason,
            "updatedAt": clock.iso(now),
        }
        items = [redemptions_db.count(tenant_id, item["memberId"], item["rewardId"], -1)]
        if refund:
            book = Book(tenant_id, members.load(tenant_id, item["memberId"]))
            book.balance["redeemed"] -= item["points"]
            expires_on = book.credit(item["points"], now=now, expiry_days=program.load(tenant_id)["pointsExpiryDays"])
            entry, posted = transactions.post(
                book,
                now,
                "refund",
                item["points"],
                "approved",
                rewardId=item["rewardId"],
                redemptionId=redemption_id,
                reason=body.reason,
                expiresAt=expires_at(expires_on),
            )
            changes["refundTransactionId"] = entry["transactionId"]
            items += posted
        items.append(redemptions_db.move_if(tenant_id, item, changes))
        return operation.commit(items, public(_moved(item, changes)), status=200)

    return run(caller, attempt)


def _moved(redemption: RedemptionRecord, changes: dict[str, Any]) -> RedemptionRecord:
    """The redemption as it reads once `changes` (its own attributes) are written."""
    return cast("RedemptionRecord", {**redemption, **changes})
