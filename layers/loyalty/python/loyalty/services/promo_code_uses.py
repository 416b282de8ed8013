"""A member's use of a promo code (contract section 11): the activity's points awarded with the use's counters.

A use awards the activity's points through the award machinery (`services.awards.grant`: the activity's
approval method, expiry and cap apply as to any award) in ONE transaction with the use's counters: the
member's uses (condition below maxUsesPerMember), one shard of the promotion's uses counter (condition below
its cap; the caps add up to maxUsesTotal: `repository.offer_usage`), and for a pool code the code taken from
the pool (condition still there) and recorded as used. A lost race re-reads and decides again
(operation.run), so every limit is exact under any concurrency. The use is recorded in the ledger entry
(`promoCode`, `promoCodeUsed`): its points events are the use's events; there is no event of its own. The
promotions themselves are services/promo_codes.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from loyalty import clock, codes
from loyalty.errors import Conflict, NotFound
from loyalty.operation import Caller, Operation, run
from loyalty.repository import members as members_db
from loyalty.repository import offer_usage, store
from loyalty.repository import promo_codes as promos_db
from loyalty.services import activities, awards
from loyalty.services.book import Book
from loyalty.services.promo_codes import load

if TYPE_CHECKING:
    from datetime import datetime

    from loyalty.models.promo_codes import PromoCodeUse
    from loyalty.repository.records import MemberRecord


def _state_refusal(promo: dict[str, Any], now: datetime) -> str | None:
    at = clock.iso(now)
    if promo["status"] != "active":
        return "The promo code is disabled."
    if promo.get("startDate") and at < promo["startDate"]:
        return f"The promo code may be used from {promo['startDate']}."
    if promo.get("endDate") and promo["endDate"] < at:
        return f"The promo code could be used until {promo['endDate']}."
    return None


def use(caller: Caller, member_id: str, body: PromoCodeUse) -> dict[str, Any]:
    """A member types a code: award the activity's points with the use's counters, in one transaction."""
    tenant_id, typed = caller.tenant_id, codes.canonical(body.code)

    def attempt(operation: Operation) -> dict[str, Any]:
        now = clock.now()
        found, member = operation.read([promos_db.guard_key(tenant_id, typed), members_db.key(tenant_id, member_id)])
        member = cast("MemberRecord", store.required(member, "member"))
        if found is None or found["kind"] == "name":  # a singleUse promotion's name is not a code to type
            raise NotFound("The promo code does not exist.")
        promo, shards = load(tenant_id, found["promoCode"])
        pooled = found["kind"] == "pool"
        pool = promos_db.pool(tenant_id, promo) if pooled else None
        activity = activities.load(tenant_id, promo["activityId"])
        counter_key = promos_db.member_uses_key(tenant_id, member_id, promo["code"])
        cap_key = awards.counter_key(tenant_id, member_id, activity, now)
        wanted: list[store.Key[Any]] = [
            counter_key,
            *([pool.entry_key(typed)] if pool else []),
            *filter(None, [cap_key]),
        ]
        counter, *rest = store.get_many(wanted)
        entry = rest.pop(0) if pool else None
        cap = rest.pop(0) if cap_key else None
        book = Book(tenant_id, member)
        book.require_active()
        refused = _state_refusal(promo, now)
        if refused:
            raise Conflict("invalid_state", refused)
        if pool is not None and entry is None:
            raise Conflict("already_redeemed", "This promo code has been used.")
        per_member = promo["maxUsesPerMember"]
        if per_member is not None and (counter or {}).get("count", 0) >= per_member:
            raise Conflict("limit_reached", f"The member has used this promotion {per_member} times already.")
        if not offer_usage.with_room(shards):
            raise Conflict("limit_reached", f"The promotion's {promo['maxUsesTotal']} uses are taken.")
        if activity["type"] != "fixed":
            raise Conflict("invalid_state", "The promotion's activity no longer gives a fixed number of points.")
        awards.check_can_earn(activity, cap)
        points = awards.points_for(activity, None, "code")
        items, entry_tx = awards.grant(
            book,
            activity,
            points,
            now,
            reason=f"promo code {promo['code']}",
            promoCode=promo["code"],
            promoCodeUsed=typed,
        )
        items += [
            promos_db.count_member_use(counter_key, per_member),
            offer_usage.take(promos_db.usage(tenant_id, promo), shards, 0),
        ]
        if pool is not None:
            used = {"code": typed, "promoCode": promo["code"], "memberId": member_id}
            items += [
                *pool.take_writes(typed),
                store.put_new({**pool.issued_key(typed), **used, "transactionId": entry_tx["transactionId"]}),
            ]
        answer = {
            "promoCode": promo["code"],
            "code": typed,
            "memberId": member_id,
            "transactionId": entry_tx["transactionId"],
            "points": points,
        }
        return operation.commit(items, answer)

    return run(caller, attempt)
