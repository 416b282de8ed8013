"""Reward redemptions: redeem (points, code and record in one transaction), list, complete, cancel with refund."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from loyalty import clock, ids
from loyalty.errors import Conflict
from loyalty.models.rewards import (
    MemberRewardListQuery,
    Redemption,
    RedemptionCancel,
    RedemptionCreate,
    RedemptionListQuery,
)
from loyalty.models.types import fields_of
from loyalty.operation import Caller, Operation, run
from loyalty.repository import awards as awards_db
from loyalty.repository import members as members_db
from loyalty.repository import paging, store
from loyalty.repository import redemptions as redemptions_db
from loyalty.repository import rewards as rewards_db
from loyalty.results import Page
from loyalty.services import awards, listing, members, program, rewards, segments, targeting, transactions
from loyalty.services.book import Book, expires_at

if TYPE_CHECKING:
    from datetime import datetime

    from loyalty.repository.records import MemberRecord, RedemptionRecord, RewardRecord


def public(item: RedemptionRecord) -> dict[str, Any]:
    return fields_of(Redemption, item)


def claim(tenant_id: str, reward: RewardRecord) -> str:
    """A code still in the reward's pool (repository/pools.py picks it so that racers rarely collide)."""
    code = rewards_db.claim_code(tenant_id, reward)
    if code is None:
        raise Conflict(*refusal("out_of_stock", reward, None))
    return code


def limit_window(reward: RewardRecord, now: datetime) -> str | None:
    """The UTC window of the reward's maxPerMemberInterval that a redemption committed `now` counts in
    (services.awards.window, as for activity caps); None: no limit, or a lifetime one."""
    interval = rewards.interval_of(reward)
    if reward["maxPerMember"] is None or interval == "lifetime":
        return None
    return awards.window(interval, now)[0]


def limit_key(tenant_id: str, member_id: str, reward: RewardRecord, now: datetime) -> store.Key | None:
    """The counter maxPerMember is checked against `now`: the window's, the lifetime one, or None (no limit)."""
    if reward["maxPerMember"] is None:
        return None
    window = limit_window(reward, now)
    if window is None:
        return redemptions_db.count_key(tenant_id, member_id, reward["rewardId"])
    return redemptions_db.window_count_key(tenant_id, member_id, reward["rewardId"], window)


def ineligible_reasons(
    reward: RewardRecord,
    member: MemberRecord,
    counter: Mapping[str, Any] | None,
    tier: Mapping[str, Any] | None,
    now: datetime,
    available: int | None,
    in_audience: bool = True,
) -> list[str]:
    """Why the member may not redeem the reward now, in the order POST /members/{id}/redemptions checks
    (the first is its refusal, `refusal`); empty: it may. `counter` is the limit_key counter as read,
    `available` the pool's codes left (None: not known here; the redemption learns it by claiming one),
    `in_audience` whether the member is in the reward's segments now (services.targeting; reason `segment`).

    This is the one statement of the redemption rules: the redemption and the member's reward list
    (GET /members/{id}/rewards) both call it.
    """
    at, reasons = clock.iso(now), []
    if member.get("erasedAt") or member["status"] != "active":
        reasons.append("member_inactive")
    if not reward["isActive"]:
        reasons.append("inactive")  # never listed: the member's list holds active rewards only
    start, end = reward.get("startDate"), reward.get("endDate")
    if start and at < start:
        reasons.append("not_started")
    if end and end < at:
        reasons.append("ended")
    expiry = reward.get("couponExpiry")
    if reward["fulfillment"] == "coupon" and expiry and expiry < clock.day(now):
        reasons.append("coupon_expired")
    if reward["tierIds"] and (tier is None or tier["tierId"] not in reward["tierIds"]):
        reasons.append("tier")
    if not in_audience:
        reasons.append("segment")
    if reward["maxPerMember"] is not None and (counter or {}).get("count", 0) >= reward["maxPerMember"]:
        reasons.append("member_limit_reached")
    if reward["pointsCost"] > member["balance"]["available"]:
        reasons.append("insufficient_points")
    if reward["fulfillment"] == "coupon" and available is not None and available < 1:
        reasons.append("out_of_stock")
    return reasons


def refusal(reason: str, reward: RewardRecord, member: MemberRecord | None) -> tuple[str, str]:
    """The 409 code and message POST /members/{id}/redemptions answers for a reason (contract section 10)."""
    per = rewards.interval_of(reward)
    messages = {
        "member_inactive": (
            "invalid_state",
            "The member was erased: it can't earn, spend or receive points."
            if member and member.get("erasedAt")
            else "The member is suspended: it can't earn or spend points.",
        ),
        "inactive": ("reward_inactive", "The reward is not active."),
        "not_started": ("reward_inactive", f"The reward may be redeemed from {reward.get('startDate')}."),
        "ended": ("reward_inactive", f"The reward could be redeemed until {reward.get('endDate')}."),
        "coupon_expired": ("reward_inactive", f"The reward's coupon codes were valid until {reward['couponExpiry']}."),
        "tier": ("not_eligible", "The member's tier may not redeem this reward."),
        "segment": ("not_eligible", "The member is not in the reward's segments (or is in an excluded one)."),
        "member_limit_reached": (
            "frequency_limit_reached",
            f"The member holds {reward['maxPerMember']} redemptions of this reward already"
            + ("." if per == "lifetime" else f" this {per} (UTC)."),
        ),
        "insufficient_points": (
            "insufficient_points",
            f"The member has {member['balance']['available'] if member else 0} points available.",
        ),
        "out_of_stock": ("out_of_stock", "The reward has no codes left."),
    }
    return messages[reason]


def redeem(caller: Caller, member_id: str, body: RedemptionCreate) -> dict[str, Any]:
    """Check, deduct the points (a `redeem` transaction), take one code, record the redemption: all or nothing.

    maxPerMember counts in the window of the server's clock at commit: each attempt reads the clock and
    that window's counter, and the counter moves on condition it is still below the limit.
    """
    tenant_id = caller.tenant_id
    reward = rewards.load(tenant_id, body.rewardId)
    settings = program.load(tenant_id)

    def attempt(operation: Operation) -> dict[str, Any]:
        now, redemption_id, cost = clock.now(), ids.ulid(), reward["pointsCost"]
        counter_key = limit_key(tenant_id, member_id, reward, now)
        wanted: list[store.Key[Any]] = [members_db.key(tenant_id, member_id), *([counter_key] if counter_key else [])]
        member, *counter = operation.read(wanted)
        member = store.required(member, "member")
        tier = members.tier_of(settings, member)
        aimed, excluded = segments.targeting_of(cast("dict[str, Any]", reward))
        audience = targeting.eligible(tenant_id, member_id, aimed, excluded, member)
        reasons = ineligible_reasons(reward, member, counter[0] if counter else None, tier, now, None, audience)
        if reasons:
            raise Conflict(*refusal(reasons[0], reward, member))
        book = Book(tenant_id, member)
        book.spend(cost)
        book.balance["redeemed"] += cost
        code = claim(tenant_id, reward) if reward["fulfillment"] == "coupon" else None
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
        window = limit_window(reward, now)
        items = [
            *posted,
            redemptions_db.count(tenant_id, member_id, reward["rewardId"], +1),
            *rewards_db.hand_out(tenant_id, reward, code, {"redemptionId": redemption_id, "memberId": member_id}),
        ]
        if window is not None and counter_key is not None:
            redemption["limitInterval"], redemption["limitWindow"] = rewards.interval_of(reward), window
            _, forget_at = awards.window(redemption["limitInterval"], now)
            items.append(awards_db.count_one(counter_key, reward["maxPerMember"] or 0, forget_at))
        items.append(store.put_new(redemptions_db.item(tenant_id, redemption)))
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
    """Cancel an issued or pending redemption; with `refund` (default) the points come back as fresh points.

    A reward grant (points 0, services.reward_grants) is just cancelled: no refund transaction (it would move
    zero points), and no member counter to give back (a grant counts toward no maxPerMember)."""
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
        granted = bool(item.get("grantedBy"))
        items = [] if granted else [redemptions_db.count(tenant_id, item["memberId"], item["rewardId"], -1)]
        if not granted and _window_lasts(
            item, now
        ):  # the use goes back to the window it was counted in, while it lasts
            window = item.get("limitWindow") or ""
            counter = redemptions_db.window_count_key(tenant_id, item["memberId"], item["rewardId"], window)
            items.append(store.update(counter, add={"count": -1}))
        if refund and item["points"] > 0:
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


def _window_lasts(redemption: RedemptionRecord, now: datetime) -> bool:
    """Whether the redemption was counted in a window of maxPerMember that is still the current one (a
    window that ended counts nothing any more: its counter is left to expire)."""
    interval, window = redemption.get("limitInterval"), redemption.get("limitWindow")
    return bool(interval and window) and awards.window(interval or "", now)[0] == window


def _moved(redemption: RedemptionRecord, changes: dict[str, Any]) -> RedemptionRecord:
    """The redemption as it reads once `changes` (its own attributes) are written."""
    return cast("RedemptionRecord", {**redemption, **changes})


def list_member_rewards(tenant_id: str, member_id: str, query: MemberRewardListQuery) -> Page[list[dict[str, Any]]]:
    """Each active reward, by rewardId, with whether the member may redeem it now and why not
    (`ineligible_reasons`, the redemption's own rules); `eligible=true` keeps those it may, `false` those it
    may not (a page may then hold fewer than `limit`: follow nextToken). One Query of the catalog, then the
    member and the page's limit counters in one BatchGetItem, and the page's stock counters by key."""
    page = paging.request(tenant_id, f"member-rewards:{member_id}", query.given())
    items, last = rewards_db.catalog(tenant_id).query(limit=page.limit, equals={"isActive": True}, start=page.start)
    now, settings = clock.now(), program.load(tenant_id)
    keys = [limit_key(tenant_id, member_id, reward, now) for reward in items]
    wanted: list[store.Key[Any]] = [members_db.key(tenant_id, member_id), *(k for k in keys if k is not None)]
    first, *found = store.get_many(wanted)
    member = cast("MemberRecord", store.required(first, "member"))
    counters = iter(found)
    tier = members.tier_of(settings, member)
    named = [i for reward in items for ids_ in segments.targeting_of(cast("Any", reward)) for i in ids_]
    inside = targeting.memberships(tenant_id, member_id, named, member)  # one BatchGetItem (none if no targeting)
    shown = []
    for reward, stock, counter_key in zip(items, rewards_db.stock_of(tenant_id, items), keys, strict=True):
        counter = next(counters) if counter_key is not None else None
        aimed, excluded = segments.targeting_of(cast("Any", reward))
        audience = targeting.within(inside, aimed, excluded)
        reasons = ineligible_reasons(reward, member, counter, tier, now, stock["available"], audience)
        if query.eligible is not None and query.eligible == bool(reasons):
            continue  # eligible=true keeps the rewards it may redeem, eligible=false those it may not
        shown.append({**rewards.public(reward, stock), "eligible": not reasons, "ineligibleReasons": reasons})
    return Page(shown, page.next_token(last))
