"""A program on the in-process engine for exact-amount tests of the money services: a tenant, a clock, members."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from loyalty import clock, jsontext
from loyalty.errors import ApiError
from loyalty.models.activities import ActivityCreate
from loyalty.models.ledger import AwardCreate, DeductionCreate
from loyalty.models.members import MemberCreate
from loyalty.models.offers import MemberOfferQuery, OfferCreate, OfferRedemptionCreate
from loyalty.models.orders import OrderCreate, OrderReturnCreate
from loyalty.models.program import ProgramUpdate
from loyalty.models.rewards import RedemptionCreate, RewardCreate
from loyalty.models.vouchers import VoucherIssue
from loyalty.operation import Caller, Replayed
from loyalty.repository import offers as offers_repo
from loyalty.repository import store
from loyalty.repository.counters import ShardedCounter
from loyalty.services import (
    activities,
    awards,
    checker,
    members,
    offer_redemptions,
    offers,
    orders,
    program,
    redemptions,
    rewards,
    tenants,
    vouchers,
)
from loyalty.services.members import BALANCE_FIELDS

TENANT = "money"


class Program:
    """One tenant's program on a frozen clock; each call goes through the service as the HTTP edge would."""

    def __init__(self, start: datetime) -> None:
        self.clock = clock.FrozenClock(start)
        clock.use(self.clock)
        try:
            tenants.create_tenant(TENANT, "Money rules")
        except BaseException:
            clock.reset()  # a fixture that fails leaves no frozen clock to the next test on this worker
            raise
        self.emails = 0
        self.activities: set[str] = set()

    @property
    def caller(self) -> Caller:
        return Caller(TENANT, admin=True)

    def keyed(self, key: str) -> Caller:
        """The admin caller with an Idempotency-Key (its fingerprint: the key, one request body per key)."""
        return Caller(TENANT, idempotency_key=key, fingerprint=key, admin=True)

    def settings(self, **changes: Any) -> None:
        program.update_program(self.caller, ProgramUpdate.model_validate(changes))

    def activity(self, activity_id: str, **fields: Any) -> str:
        """Create the activity (once: a second call with the same id answers its id)."""
        if activity_id in self.activities:
            return activity_id
        self.activities.add(activity_id)
        body = {"activityId": activity_id, "name": activity_id.title(), **fields}
        activities.create_activity(self.caller, ActivityCreate.model_validate(body))
        return activity_id

    def member(self, **profile: Any) -> str:
        self.emails += 1
        body = MemberCreate.model_validate({"email": f"m{self.emails}@example.com", **profile})
        return members.create_member(self.caller, body)["memberId"]

    def balance(self, member_id: str) -> dict[str, int]:
        return members.get_member(TENANT, member_id)["balance"]

    def award(self, member_id: str, activity_id: str, **body: Any) -> dict[str, Any]:
        return awards.award(self.caller, member_id, AwardCreate.model_validate({"activityId": activity_id, **body}))

    def deduct(self, member_id: str, points: int) -> dict[str, Any]:
        body = DeductionCreate.model_validate({"points": points, "reason": "test"})
        return awards.deduct(self.caller, member_id, body)


def book(**balance: int) -> dict[str, int]:
    """A member's balance: the fields named, every other one 0."""
    return {**dict.fromkeys(BALANCE_FIELDS, 0), **balance}


def explained(error: ApiError) -> ApiError:
    """§1: an error's message is a sentence for a human, and a refusal's says why: its own sentence (a full
    stop last, neither all lower case nor shouted), not the generic one of its status (unless details explain it);
    each detail's message is a phrase completing its field's name ("codes[1] must not look like a voucher
    id": lower case first)."""
    message = error.message
    assert message.endswith(".") and message not in (message.lower(), message.upper()), message
    assert error.details or message != type(error).message, f"{error.code}: the generic message"
    assert all(detail["message"][:1].islower() for detail in error.details), error.details
    return error


def refused(call: Callable[[], Any]) -> tuple[int, str]:
    """The status and code of the ApiError a call raises (the test fails if it succeeds); its message explains it."""
    with pytest.raises(ApiError) as error:
        call()
    explained(error.value)
    return error.value.status, error.value.code


def invalid_fields(call: Callable[[], Any]) -> list[str]:
    """The fields a 400 validation_error names; each detail must be exactly a field and a message (§1)."""
    with pytest.raises(ApiError) as error:
        call()
    assert (error.value.status, error.value.code) == (400, "validation_error")
    explained(error.value)
    assert all(set(detail) == {"field", "message"} and detail["message"] for detail in error.value.details)
    return [detail["field"] for detail in error.value.details]


def replayed_status(call: Callable[[Caller], Any], caller: Caller) -> int:
    """Call twice under `caller`'s Idempotency-Key: the status the replay answers (recorded with the first
    answer, whose exact body it repeats); the status a route answers, which a service returns only so."""
    first = call(caller)
    with pytest.raises(Replayed) as replay:
        call(caller)
    assert replay.value.body == jsontext.envelope(first)
    return replay.value.status


# --- the money services, called as the HTTP edge would (each takes the Program first) ----------------------


def offer_usage(offer_id: str) -> ShardedCounter:
    """The offer's usage counter, as stored with the offer."""
    return offers_repo.usage(TENANT, store.get(offers_repo.offer_key(TENANT, offer_id)))


def order(prog, member, order_id, total, **extra):
    body = {"orderId": order_id, "memberId": member, "total": total, **extra}
    return orders.create_order(prog.caller, OrderCreate.model_validate(body))


def give_back(prog, order_id, **body):
    return orders.return_order(prog.caller, order_id, OrderReturnCreate.model_validate(body))


def reward(prog, reward_id, cost, fulfillment="coupon", **fields):
    body = {"rewardId": reward_id, "name": reward_id.title(), "pointsCost": cost, "fulfillment": fulfillment}
    return rewards.create_reward(prog.caller, RewardCreate.model_validate({**body, "isActive": True, **fields}))


def redeem(prog, member, reward_id):
    return redemptions.redeem(prog.caller, member, RedemptionCreate.model_validate({"rewardId": reward_id}))


def rich_member(prog, points):
    """A new member holding `points` available points."""
    member = prog.member()
    prog.award(member, prog.activity("gift"), points=points)
    return member


def offer(prog, code, **fields):
    body = {"offerCode": code, "name": code.title(), "rewardType": "amount", "offerAmount": "5", "status": "published"}
    return offers.create_offer(prog.caller, OfferCreate.model_validate({**body, **fields}))["offerId"]


def use(prog, code, member=None, **body):
    sent = {"teamId": TENANT, "offerCode": code, **({"memberId": member} if member else {}), **body}
    return offer_redemptions.redeem(prog.caller, OfferRedemptionCreate.model_validate(sent))


def left(member):
    """Each offer the member may still use: its redemptionsLeft (offers used up are not shown)."""
    return {
        item["offerCode"]: item["redemptionsLeft"]
        for item in offers.member_offers(TENANT, member, MemberOfferQuery()).items
    }


def offer_problems():
    """The checker's offer problems (those naming an offer), in a fixed order."""
    found = [p for p in checker.check([TENANT])["problems"] if "offerId" in p]
    return sorted(found, key=lambda p: (p["offerId"], p["problem"], str(sorted(p.items()))))


def without_ids(record):
    """A record without the ids the service generates (compared apart)."""
    return {k: v for k, v in record.items() if k not in {"redemptionId", "transactionId", "refundTransactionId"}}


def give(prog, offer_id, **body):
    return vouchers.issue(prog.caller, offer_id, VoucherIssue.model_validate(body))


def foreign_token_refused(
    listed: Callable[..., Any],
    query: dict[str, Any],
    other_query: dict[str, Any],
    other: Callable[..., Any] | None = None,
) -> None:
    """A nextToken is bound to its list and filters: the token after the first item of `listed(**query)` pages on
    there (to another item), and `other(**other_query)` (another list, filter or tenant; default `listed`)
    refuses it (400 nextToken)."""
    first = listed(**query, limit=1)
    assert first.next_token is not None
    token = first.next_token
    assert listed(**query, limit=1, nextToken=token).items not in (first.items, [])  # the page after the first
    assert invalid_fields(lambda: (other or listed)(**other_query, limit=1, nextToken=token)) == ["nextToken"]
