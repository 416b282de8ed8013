"""A hypothesis state machine over the ledger services; the ledger checker runs after every step.

Awards of every kind, deductions, approvals, rejections, orders, full and partial returns,
redemptions (coupon and manual), completions, cancels with and without refund, pool top-ups, time
moving across expiry and auto-approval dates, the scheduled jobs (also run ahead of time, then a
credit at once), erasure (after which the member takes no part), and retries with the same
Idempotency-Key: whatever the sequence, every balance must equal what its ledger says and every
coupon pool must balance against its redemptions. Vouchers (tests/unit/voucher_rules.py: issue,
preload codes, redeem, cancel, expiry as time moves) answer as their model predicts, and keep
codes, pools, states and offer limits consistent.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import rule
from loyalty.errors import ApiError
from loyalty.models.activities import ACTIVITY_CREATE
from loyalty.models.ledger import AWARD_CREATE, DEDUCTION_CREATE, REJECTION
from loyalty.models.members import MEMBER_CREATE, MEMBER_UPDATE
from loyalty.models.orders import ORDER_CREATE, RETURN_CREATE
from loyalty.models.program import PROGRAM_UPDATE
from loyalty.models.rewards import CANCELLATION, CODES_ADD, REDEMPTION_CREATE, REWARD_CREATE
from loyalty.services import (
    activities,
    awards,
    jobs,
    members,
    orders,
    program,
    redemptions,
    rewards,
    transactions,
)

from tests.support.machines import TENANT, CheckedMachine, caller, run_machine, valid
from tests.unit.voucher_rules import VoucherRules

EXAMPLES, MIN_STEPS, MAX_STEPS = 100, 30, 36
ACTIVITIES = [
    {"activityId": "visit", "name": "Visit", "points": 10},
    {"activityId": "photo", "name": "Photo", "points": 25, "approvalMethod": "manual"},
    {"activityId": "review", "name": "Review", "type": "multiplier", "multiplier": 1.5, "approvalMethod": "delayed"},
    {
        "activityId": "checkin",
        "name": "Check-in",
        "points": 5,
        "maxAwardFrequency": 2,
        "maxAwardFrequencyInterval": "day",
    },
    {"activityId": "bonus", "name": "Bonus", "points": 40, "qualifiedPoints": False},
    {"activityId": "sale", "name": "Sale", "type": "multiplier", "multiplier": 2, "approvalMethod": "delayed"},
]
REWARDS = [
    {"rewardId": "coffee", "name": "Coffee", "pointsCost": 30, "fulfillment": "coupon"},
    {"rewardId": "mug", "name": "Mug", "pointsCost": 50, "fulfillment": "manual", "maxPerMember": 2},
]
EXPECTED_CODES = {
    "out_of_stock",
    "insufficient_points",
    "frequency_limit_reached",
    "invalid_state",
    "duplicate",
    "validation_error",
    "activity_inactive",
}


class LedgerMachine(VoucherRules, CheckedMachine):
    expected_codes = EXPECTED_CODES

    def __init__(self) -> None:
        super().__init__()
        for activity in ACTIVITIES:
            activities.create_activity(caller(), valid(ACTIVITY_CREATE, activity))
        for reward in REWARDS:
            rewards.create_reward(caller(), valid(REWARD_CREATE, reward))
        update = {"pointsExpiryDays": 20, "pendingDays": 5, "saleActivityId": "sale"}
        program.update_program(caller(), valid(PROGRAM_UPDATE, update))
        self.members = [
            members.create_member(caller(), valid(MEMBER_CREATE, {"email": f"m{i}@example.com"}))["memberId"]
            for i in range(3)
        ]
        self.pending: list[str] = []
        self.orders: list[str] = []
        self.redemptions: list[str] = []
        self.codes = itertools.count()
        self.ids = itertools.count()
        self.setup_vouchers(TENANT)

    def _do(self, attempt: Any, key: str | None = None, status: int = 201) -> Any:
        data = super()._do(attempt, key, status)
        assert data is None or isinstance(data, dict), data  # an Answer would be an order recorded before
        return data

    @rule(
        m=st.integers(0, 2),
        activity=st.sampled_from(ACTIVITIES),
        points=st.none() | st.integers(1, 80),
        order=st.booleans(),
        keyed=st.booleans(),
    )
    def award(self, m: int, activity: dict[str, Any], points: int | None, order: bool, keyed: bool) -> None:
        body: dict[str, Any] = {"activityId": activity["activityId"]}
        if points is not None or activity.get("type") == "multiplier":
            body["points"] = points or 7
        if order:
            body["orderId"] = f"ext-{next(self.ids) % 4}"  # reused ids exercise earn-once
        member_id = self.members[m]
        data = self._do(
            lambda key: awards.award(caller(key, body), member_id, valid(AWARD_CREATE, body)),
            f"award-{next(self.ids)}" if keyed else None,
        )
        if data is not None and data["status"] == "pending":
            self.pending.append(data["transactionId"])

    @rule(m=st.integers(0, 2), points=st.integers(1, 60), keyed=st.booleans())
    def deduct(self, m: int, points: int, keyed: bool) -> None:
        body = {"points": points, "reason": "spend"}
        member_id = self.members[m]
        self._do(
            lambda key: awards.deduct(caller(key, body), member_id, valid(DEDUCTION_CREATE, body)),
            f"deduct-{next(self.ids)}" if keyed else None,
        )

    @rule(data=st.data(), reject=st.booleans())
    def decide_pending(self, data: st.DataObject, reject: bool) -> None:
        if not self.pending:
            return
        transaction_id = data.draw(st.sampled_from(self.pending))
        if reject:
            self._do(lambda key: transactions.reject(caller(), transaction_id, valid(REJECTION, {"reason": "no"})))
        else:
            self._do(lambda key: transactions.approve(caller(), transaction_id))

    @rule(m=st.integers(0, 2), cents=st.integers(1, 20000), keyed=st.booleans())
    def order(self, m: int, cents: int, keyed: bool) -> None:
        order_id = f"order-{next(self.ids)}"
        body = {"orderId": order_id, "memberId": self.members[m], "total": f"{cents // 100}.{cents % 100:02d}"}
        if self._do(
            lambda key: orders.create_order(caller(key, body), valid(ORDER_CREATE, body)),
            f"order-{order_id}" if keyed else None,
        ):
            self.orders.append(order_id)

    @rule(data=st.data(), share=st.none() | st.integers(1, 100), keyed=st.booleans())
    def return_order(self, data: st.DataObject, share: int | None, keyed: bool) -> None:
        if not self.orders:
            return
        order_id = data.draw(st.sampled_from(self.orders))
        order = orders.get_order(TENANT, order_id)
        body = {}
        if share is not None:
            cents = int(float(order["total"]) * 100) * share // 100
            body = {"returnedAmount": f"{cents // 100}.{cents % 100:02d}"} if cents else {}
        self._do(
            lambda key: orders.return_order(caller(key, body), order_id, valid(RETURN_CREATE, body)),
            f"return-{next(self.ids)}" if keyed else None,
        )

    @rule(count=st.integers(1, 4), reuse=st.booleans())
    def top_up_pool(self, count: int, reuse: bool) -> None:
        codes = [f"C{next(self.codes)}" for _ in range(count)] + (["C0"] if reuse else [])
        self._do(lambda key: rewards.add_codes(caller(), "coffee", valid(CODES_ADD, {"codes": codes})))

    @rule(m=st.integers(0, 2), reward=st.sampled_from(REWARDS), keyed=st.booleans())
    def redeem(self, m: int, reward: dict[str, Any], keyed: bool) -> None:
        body, member_id = {"rewardId": reward["rewardId"]}, self.members[m]
        data = self._do(
            lambda key: redemptions.redeem(caller(key, body), member_id, valid(REDEMPTION_CREATE, body)),
            f"redeem-{next(self.ids)}" if keyed else None,
        )
        if data is not None:
            self.redemptions.append(data["redemptionId"])

    @rule(data=st.data(), refund=st.booleans(), complete=st.booleans())
    def settle_redemption(self, data: st.DataObject, refund: bool, complete: bool) -> None:
        if not self.redemptions:
            return
        redemption_id = data.draw(st.sampled_from(self.redemptions))
        if complete:
            self._do(lambda key: redemptions.complete(caller(), redemption_id))
        else:
            body = {"reason": "changed mind", "refund": refund}
            self._do(lambda key: redemptions.cancel(caller(), redemption_id, valid(CANCELLATION, body)))

    @rule(m=st.integers(0, 2), suspended=st.booleans())
    def set_status(self, m: int, suspended: bool) -> None:
        body = {"status": "suspended" if suspended else "active"}
        member_id = self.members[m]
        self._do(lambda key: members.update_member(caller(), member_id, valid(MEMBER_UPDATE, body)))

    @rule(m=st.integers(0, 2), days_ahead=st.integers(15, 80))
    def job_then_credit(self, m: int, days_ahead: int) -> None:
        """The expiry job run ahead (`loyalty job expire-points --now …`) may delete a member's last lot;
        the next credit must work at once (issue 10, defect 1), never stall into a 503."""
        jobs.expire_points(now=self.clock.current + timedelta(days=days_ahead), tenant_ids=[TENANT])
        member_id, body = self.members[m], {"activityId": "visit"}
        data = self._do(lambda key: awards.award(caller(), member_id, valid(AWARD_CREATE, body)))
        if members.load(TENANT, member_id)["status"] == "active":
            assert data is not None and data["status"] == "approved"

    @rule(m=st.integers(0, 2))
    def erase(self, m: int) -> None:
        """Erasure keeps the ledger and ends the member's part in it (issue 10, defect 3); a new member
        takes the slot so the machine goes on."""
        member_id = self.members[m]
        erased = members.erase_member(caller(), member_id)
        assert erased["status"] == "erased" and erased["email"] is None
        for refused in (
            lambda: awards.award(caller(), member_id, valid(AWARD_CREATE, {"activityId": "visit"})),
            lambda: awards.deduct(caller(), member_id, valid(DEDUCTION_CREATE, {"points": 1, "reason": "x"})),
            lambda: redemptions.redeem(caller(), member_id, valid(REDEMPTION_CREATE, {"rewardId": "mug"})),
            lambda: orders.create_order(
                caller(),
                valid(ORDER_CREATE, {"orderId": f"gone-{next(self.ids)}", "memberId": member_id, "total": "9.00"}),
            ),
            lambda: members.update_member(caller(), member_id, valid(MEMBER_UPDATE, {"status": "active"})),
        ):
            with pytest.raises(ApiError) as caught:
                refused()
            assert caught.value.code == "invalid_state", caught.value.message
        email = f"new{next(self.ids)}@example.com"
        self.members[m] = members.create_member(caller(), valid(MEMBER_CREATE, {"email": email}))["memberId"]

    @rule(days=st.integers(0, 12), hours=st.integers(0, 23))
    def time_passes(self, days: int, hours: int) -> None:
        self.clock.advance(days=days, hours=hours)

    @rule()
    def expire_points(self) -> None:
        jobs.expire_points(tenant_ids=[TENANT])

    @rule()
    def approve_delayed(self) -> None:
        jobs.approve_delayed(tenant_ids=[TENANT])


@pytest.mark.slow
@pytest.mark.usefixtures("fresh_table")
def test_ledger_state_machine() -> None:
    run_machine(LedgerMachine, EXAMPLES, (MIN_STEPS, MAX_STEPS))
