"""Exact amounts and codes of the money rules (contract §4 to §9) on the in-process engine, as mutation testing asks."""

from datetime import UTC, datetime, timedelta

import pytest
from loyalty.errors import ApiError
from loyalty.models.ledger import Rejection, TransactionListQuery
from loyalty.models.members import MemberUpdate
from loyalty.models.offers import OfferUpdate
from loyalty.models.rewards import MemberRewardListQuery, RedemptionCancel, RedemptionListQuery, RewardCodesAdd
from loyalty.models.vouchers import VoucherCodesAdd, VoucherIssue, VoucherListQuery, VoucherRedeem
from loyalty.repository import activations as activations_db
from loyalty.repository import ledger as ledger_db
from loyalty.repository import members as members_db
from loyalty.repository import orders as orders_db
from loyalty.repository import redemptions as redemptions_db
from loyalty.repository import rewards as rewards_db
from loyalty.repository import store
from loyalty.repository.table import TTL_ATTRIBUTE
from loyalty.services import (
    checker,
    jobs,
    members,
    offers,
    orders,
    redemptions,
    rewards,
    summary,
    tenants,
    transactions,
    vouchers,
)

from tests.support.money import (
    TENANT,
    book,
    foreign_token_refused,
    give,
    give_back,
    invalid_fields,
    left,
    offer,
    offer_problems,
    offer_usage,
    order,
    redeem,
    refused,
    replayed_status,
    reward,
    rich_member,
    use,
    without_ids,
)

pytestmark = pytest.mark.usefixtures("fresh_table")


def test_a_fixed_award_is_approved_with_its_points_its_override_and_its_expiry(prog):
    prog.activity("visit", points=10)
    member = prog.member()
    first = prog.award(member, "visit", reason="welcome")
    assert (first["type"], first["status"], first["points"]) == ("award", "approved", 10)
    assert (first["activityId"], first["activityName"], first["reason"]) == ("visit", "Visit", "welcome")
    assert first["expiresAt"] == "2026-02-06T23:59:59Z"  # earned 2026-01-07, spendable for 30 days
    assert first["balanceAfter"] == {"available": 10, "pending": 0}
    prog.clock.advance(hours=1)
    second = prog.award(member, "visit", points=7)  # a fixed activity's points are overridden by the call's
    assert (second["points"], second["balanceAfter"]) == (7, {"available": 17, "pending": 0})
    assert prog.balance(member) == book(available=17, pending=0, lifetime=17, qualified=17, expired=0)
    last = {"date": "2026-01-07T10:00:00Z", "points": 7, "activityName": "Visit"}
    assert summary.summary(TENANT, member)["lastAward"] == last
    assert members.get_member(TENANT, member)["updatedAt"] == "2026-01-07T10:00:00Z"


def test_points_without_qualified_status_count_as_lifetime_only(prog):
    prog.activity("bonus", points=40, qualifiedPoints=False)
    member = prog.member()
    prog.award(member, "bonus")
    assert prog.balance(member) == book(available=40, pending=0, lifetime=40, qualified=0, expired=0)


def test_a_multiplier_award_is_the_floor_of_base_times_multiplier_and_at_least_one_point(prog):
    prog.activity("review", type="multiplier", multiplier=1.5)
    member = prog.member()
    assert prog.award(member, "review", points=7)["points"] == 10  # 10.5 → 10
    assert prog.award(member, "review", points=2)["points"] == 3
    prog.activity("tiny", type="multiplier", multiplier=0.5)
    assert invalid_fields(lambda: prog.award(member, "tiny", points=1)) == ["points"]  # 0.5 → 0
    assert prog.award(member, "tiny", points=3)["points"] == 1  # 1.5 → 1, the least an award may be
    assert invalid_fields(lambda: prog.award(member, "review")) == ["points"]  # the base is required
    assert prog.balance(member)["available"] == 14


def test_manual_awards_wait_for_approval_and_delayed_ones_name_their_date(prog):
    prog.activity("photo", points=25, approvalMethod="manual")
    prog.activity("sale", points=8, approvalMethod="delayed")
    member = prog.member()
    manual = prog.award(member, "photo")
    assert (manual["status"], manual["balanceAfter"]) == ("pending", {"available": 0, "pending": 25})
    assert manual["autoApprovalDate"] is None
    delayed = prog.award(member, "sale")
    assert (delayed["status"], delayed["autoApprovalDate"]) == ("pending", "2026-01-12T09:00:00Z")
    assert delayed["balanceAfter"] == {"available": 0, "pending": 33}
    assert transactions.approve(prog.caller, manual["transactionId"])["status"] == "approved"
    assert prog.balance(member) == book(available=25, pending=8, lifetime=25, qualified=25)
    rejected = transactions.reject(prog.caller, delayed["transactionId"], Rejection.model_validate({"reason": "no"}))
    assert rejected["status"] == "rejected"
    assert prog.balance(member) == book(available=25, lifetime=25, qualified=25)


def test_a_deduction_may_take_all_available_points_and_not_one_more(prog):
    prog.activity("visit", points=10)
    member = prog.member()
    prog.award(member, "visit")
    assert refused(lambda: prog.deduct(member, 11)) == (409, "insufficient_points")
    taken = prog.deduct(member, 10)
    assert (taken["type"], taken["points"], taken["balanceAfter"]) == ("deduct", 10, {"available": 0, "pending": 0})
    assert (taken["status"], taken["reason"]) == ("approved", "test")
    assert prog.balance(member)["lifetime"] == 10  # spending does not unearn


def test_spending_draws_the_lots_that_expire_first_and_expiry_takes_only_what_is_unspent(prog):
    prog.activity("visit", points=10)
    member = prog.member()
    prog.award(member, "visit")  # 10 points, last day 2026-02-06
    prog.clock.advance(days=5)
    prog.award(member, "visit", points=20)  # 20 points, last day 2026-02-11
    prog.deduct(member, 4)  # from the first lot: 6 of it left
    prog.clock.current = datetime(2026, 2, 6, 23, 0, tzinfo=UTC)
    assert jobs.expire_points(tenant_ids=[TENANT])["points"] == 0  # its last day: still spendable
    prog.clock.current = datetime(2026, 2, 7, 0, 0, tzinfo=UTC)
    assert jobs.expire_points(tenant_ids=[TENANT])["points"] == 6
    assert prog.balance(member) == book(available=20, pending=0, lifetime=30, qualified=30, expired=6)
    assert checker.check([TENANT])["problems"] == []  # the record still names the later lot, its last
    prog.deduct(member, 5)
    prog.clock.current = datetime(2026, 2, 12, 0, 0, tzinfo=UTC)
    assert jobs.expire_points(tenant_ids=[TENANT])["points"] == 15
    assert prog.balance(member) == book(available=0, pending=0, lifetime=30, qualified=30, expired=21)
    assert checker.check([TENANT])["problems"] == []  # and no longer names a lot the job deleted


def test_the_expiration_schedule_lists_what_is_unspent_of_each_lot(prog):
    prog.activity("visit", points=10)
    member = prog.member()
    prog.award(member, "visit")  # last day 2026-02-06
    prog.clock.advance(days=1)
    prog.award(member, "visit", points=20)  # last day 2026-02-07
    prog.deduct(member, 4)
    schedule = summary.summary(TENANT, member)["expirationSchedule"]
    assert schedule == [{"date": "2026-02-06", "points": 6}, {"date": "2026-02-07", "points": 20}]
    prog.deduct(member, 16)  # the first lot spent, 10 of the second left
    assert summary.summary(TENANT, member)["expirationSchedule"] == [{"date": "2026-02-07", "points": 10}]


def test_points_that_never_expire_have_no_expiry_and_a_shorter_expiry_never_precedes_the_last_lot(prog):
    prog.settings(pointsExpiryDays=None)
    prog.activity("visit", points=10)
    member = prog.member()
    assert prog.award(member, "visit")["expiresAt"] is None
    other = prog.member()
    prog.settings(pointsExpiryDays=30)
    assert prog.award(other, "visit")["expiresAt"] == "2026-02-06T23:59:59Z"
    prog.settings(pointsExpiryDays=1)  # later points join the last lot rather than expire before it
    assert prog.award(other, "visit")["expiresAt"] == "2026-02-06T23:59:59Z"
    assert summary.summary(TENANT, other)["expirationSchedule"] == [{"date": "2026-02-06", "points": 20}]
    assert checker.check([TENANT])["problems"] == []


def test_a_lot_spent_in_full_expires_nothing(prog):
    prog.activity("visit", points=10)
    member = prog.member()
    prog.award(member, "visit")  # last day 2026-02-06
    prog.clock.advance(days=1)
    prog.award(member, "visit", points=20)  # last day 2026-02-07
    prog.deduct(member, 10)
    prog.clock.current = datetime(2026, 2, 7, 0, 0, tzinfo=UTC)
    assert jobs.expire_points(tenant_ids=[TENANT]) == {"lots": 1, "points": 0, "complete": True}
    assert prog.balance(member) == book(available=20, lifetime=30, qualified=30)


def test_points_earned_after_the_last_lot_s_day_join_a_new_lot(prog):
    prog.settings(pointsExpiryDays=1)  # points earned today are spendable until tomorrow
    prog.activity("visit", points=10)
    member = prog.member()
    assert prog.award(member, "visit")["expiresAt"] == "2026-01-08T23:59:59Z"
    prog.clock.current = datetime(2026, 1, 9, 0, 30, tzinfo=UTC)
    assert prog.award(member, "visit", points=3)["expiresAt"] == "2026-01-10T23:59:59Z"
    assert jobs.expire_points(tenant_ids=[TENANT])["points"] == 10  # yesterday's lot, not today's points
    assert prog.balance(member)["available"] == 3


def test_suspended_and_erased_members_neither_earn_nor_spend(prog):
    prog.activity("visit", points=10)
    suspended, erased = prog.member(), prog.member()
    for member in (suspended, erased):
        prog.award(member, "visit")
    members.update_member(prog.caller, suspended, MemberUpdate.model_validate({"status": "suspended"}))
    members.erase_member(prog.caller, erased)
    for member in (suspended, erased):
        assert refused(lambda m=member: prog.award(m, "visit")) == (409, "invalid_state")
        assert refused(lambda m=member: prog.deduct(m, 1)) == (409, "invalid_state")
    assert prog.balance(suspended)["available"] == 10


def test_an_inactive_activity_and_an_order_id_used_twice_are_refused(prog):
    prog.activity("visit", points=10)
    prog.activity("closed", points=10, isActive=False)
    member = prog.member()
    assert refused(lambda: prog.award(member, "closed")) == (409, "activity_inactive")
    assert prog.award(member, "visit", orderId="o-1")["orderId"] == "o-1"
    assert refused(lambda: prog.award(member, "visit", orderId="o-1")) == (409, "duplicate")
    prog.activity("other", points=5)
    assert prog.award(member, "other", orderId="o-1")["points"] == 5  # once per activity, §1
    assert prog.balance(member)["available"] == 15


@pytest.mark.parametrize(
    ("interval", "last_in_window", "first_of_next", "start_of_window"),
    [
        ("day", datetime(2026, 1, 7, 23, 30), datetime(2026, 1, 8, 0, 30), datetime(2026, 1, 7, 0, 0)),
        ("week", datetime(2026, 1, 11, 23, 30), datetime(2026, 1, 12, 0, 30), datetime(2026, 1, 5, 0, 0)),
        ("month", datetime(2026, 1, 31, 23, 30), datetime(2026, 2, 1, 0, 30), datetime(2026, 1, 1, 0, 0)),
        ("year", datetime(2026, 12, 31, 23, 30), datetime(2027, 1, 1, 0, 30), datetime(2026, 1, 1, 0, 0)),
    ],
)
def test_a_capped_activity_resets_with_its_utc_calendar_window(
    prog, interval, last_in_window, first_of_next, start_of_window
):
    prog.activity("checkin", points=5, maxAwardFrequency=2, maxAwardFrequencyInterval=interval)
    member = prog.member()
    prog.clock.current = start_of_window.replace(tzinfo=UTC)
    prog.award(member, "checkin")
    prog.clock.current = last_in_window.replace(tzinfo=UTC)
    prog.award(member, "checkin")
    assert refused(lambda: prog.award(member, "checkin")) == (409, "frequency_limit_reached")
    prog.clock.current = first_of_next.replace(tzinfo=UTC)
    prog.award(member, "checkin")
    prog.award(member, "checkin")
    assert refused(lambda: prog.award(member, "checkin")) == (409, "frequency_limit_reached")
    assert prog.balance(member)["available"] == 20


@pytest.mark.parametrize(
    ("interval", "at", "window", "window_end"),
    [
        ("day", datetime(2026, 1, 7, 23, 30, 30), "2026-01-07", datetime(2026, 1, 8)),
        ("week", datetime(2026, 1, 11, 23, 30), "2026-W02", datetime(2026, 1, 12)),  # Sunday: the ISO week ends
        ("week", datetime(2026, 1, 5, 0, 30), "2026-W02", datetime(2026, 1, 12)),  # Monday: it starts
        ("month", datetime(2026, 2, 28, 12, 0), "2026-02", datetime(2026, 3, 1)),
        ("month", datetime(2026, 12, 31, 12, 0), "2026-12", datetime(2027, 1, 1)),
        ("year", datetime(2026, 6, 30, 12, 0), "2026", datetime(2027, 1, 1)),
        ("lifetime", datetime(2026, 6, 30, 12, 0), "lifetime", None),
    ],
)
def test_a_cap_counter_is_named_by_its_window_and_forgotten_a_day_after_it(prog, interval, at, window, window_end):
    """docs/data-model.md: the counter `FREQ#<activityId>#<window>`, its TTL a day after its window (none: lifetime)."""
    prog.activity("checkin", points=5, maxAwardFrequency=3, maxAwardFrequencyInterval=interval)
    member = prog.member()
    prog.clock.current = at.replace(tzinfo=UTC)
    prog.award(member, "checkin")
    (counter,) = [item for item in store.query(("pk", members_db.partition(TENANT, member)))[0] if "count" in item]
    assert (counter["sk"], counter["count"]) == (f"FREQ#checkin#{window}", 1)
    forget_at = int((window_end + timedelta(days=1)).replace(tzinfo=UTC).timestamp()) if window_end else None
    assert counter.get(TTL_ATTRIBUTE) == forget_at


def test_a_lifetime_cap_never_resets(prog):
    prog.activity("signup", points=50, maxAwardFrequency=1, maxAwardFrequencyInterval="lifetime")
    member = prog.member()
    prog.award(member, "signup")
    prog.clock.current = datetime(2030, 1, 1, tzinfo=UTC)
    assert refused(lambda: prog.award(member, "signup")) == (409, "frequency_limit_reached")


def test_an_order_earns_the_floor_of_its_total_times_the_sale_multiplier_once(prog):
    member = prog.member()
    assert refused(lambda: order(prog, member, "o-0", "10.00")) == (409, "invalid_state")  # no saleActivityId
    prog.activity("sale", type="multiplier", multiplier=2)
    prog.settings(saleActivityId="sale")
    recorded = order(prog, member, "o-1", "10.99")
    assert (recorded["pointsAwarded"], recorded["pointsReturned"], recorded["returnedAmount"]) == (21, 0, "0.00")
    assert len(recorded["transactionIds"]) == 1
    again = order(prog, member, "o-1", "10.99")
    assert (again.status, again.data["pointsAwarded"]) == (200, 21)  # the same order again: answered as it was
    assert refused(lambda: order(prog, member, "o-1", "11.00")) == (409, "duplicate")
    assert prog.balance(member)["available"] == 21


def test_returns_take_back_the_share_of_the_returned_value_and_never_more_than_the_order(prog):
    prog.activity("sale", type="multiplier", multiplier=1)
    prog.settings(saleActivityId="sale")
    member = prog.member()
    order(prog, member, "o-1", "10.00")
    half = give_back(prog, "o-1", returnedAmount="5.00")
    assert (half["points"], half["deductedPoints"], half["deficitPoints"]) == (5, 5, 0)
    assert (half["order"]["pointsReturned"], half["order"]["returnedAmount"]) == (5, "5.00")
    assert invalid_fields(lambda: give_back(prog, "o-1", returnedAmount="5.01")) == ["returnedAmount"]
    prog.deduct(member, 3)  # the member spends 3 of the 5 left: the rest of the return finds 2
    rest = give_back(prog, "o-1")
    assert (rest["points"], rest["deductedPoints"], rest["deficitPoints"]) == (5, 2, 3)
    assert rest["order"]["returnedAmount"] == "10.00"
    assert refused(lambda: give_back(prog, "o-1")) == (409, "invalid_state")  # returned in full already
    assert prog.balance(member) == book(available=0, pending=0, lifetime=0, qualified=0, expired=0)


def test_a_return_cancels_pending_points_before_it_deducts_approved_ones(prog):
    prog.activity("sale", type="multiplier", multiplier=1, approvalMethod="manual")
    prog.settings(saleActivityId="sale")
    member = prog.member()
    order(prog, member, "o-1", "30.00")
    partial = give_back(prog, "o-1", returnedAmount="10.00")
    assert (partial["cancelledPendingPoints"], partial["deductedPoints"], partial["transactionId"]) == (10, 0, None)
    assert prog.balance(member)["pending"] == 20
    rest = give_back(prog, "o-1")
    assert (rest["points"], rest["cancelledPendingPoints"]) == (20, 20)
    assert prog.balance(member)["pending"] == 0


def test_a_coupon_costs_its_points_takes_one_code_and_moves_the_stock_until_none_is_left(prog):
    reward(prog, "coffee", 30)
    added = rewards.add_codes(prog.caller, "coffee", RewardCodesAdd.model_validate({"codes": ["C-1", "C-2", "C-1"]}))
    assert (added["added"], added["skipped"], added["stock"]) == (2, 1, {"total": 2, "available": 2, "issued": 0})
    member = rich_member(prog, 100)
    first, second = redeem(prog, member, "coffee"), redeem(prog, member, "coffee")
    assert {first["couponCode"], second["couponCode"]} == {"C-1", "C-2"}
    assert (first["status"], first["points"]) == ("issued", 30)
    assert rewards.get_reward(TENANT, "coffee")["stock"] == {"total": 2, "available": 0, "issued": 2}
    assert refused(lambda: redeem(prog, member, "coffee")) == (409, "out_of_stock")
    assert prog.balance(member) == book(available=40, redeemed=60, lifetime=100, qualified=100)


def test_a_reward_takes_exactly_its_cost_and_refuses_a_member_one_point_short(prog):
    reward(prog, "mug", 50, "manual")
    short, enough = rich_member(prog, 49), rich_member(prog, 50)
    assert refused(lambda: redeem(prog, short, "mug")) == (409, "insufficient_points")
    made = redeem(prog, enough, "mug")
    assert (made["status"], made["couponCode"], made["points"]) == ("pending", None, 50)
    assert prog.balance(enough) == book(redeemed=50, lifetime=50, qualified=50)
    assert prog.balance(short) == book(available=49, lifetime=49, qualified=49)


def test_an_inactive_reward_and_expired_coupons_are_refused_and_the_last_coupon_day_is_not(prog):
    reward(prog, "closed", 10, "manual", isActive=False)
    reward(prog, "dated", 10, couponExpiry="2026-01-07")
    rewards.add_codes(prog.caller, "dated", RewardCodesAdd.model_validate({"codes": ["D-1", "D-2"]}))
    member = rich_member(prog, 100)
    assert refused(lambda: redeem(prog, member, "closed")) == (409, "reward_inactive")
    assert redeem(prog, member, "dated")["couponExpiry"] == "2026-01-07"  # its last day
    prog.clock.current = datetime(2026, 1, 8, 0, 0, tzinfo=UTC)
    assert refused(lambda: redeem(prog, member, "dated")) == (409, "reward_inactive")
    assert prog.balance(member)["available"] == 90


def test_a_member_holds_at_most_max_per_member_redemptions_of_a_reward(prog):
    reward(prog, "mug", 10, "manual", maxPerMember=2)
    member, other = rich_member(prog, 100), rich_member(prog, 100)
    redeem(prog, member, "mug")
    redeem(prog, member, "mug")
    assert refused(lambda: redeem(prog, member, "mug")) == (409, "frequency_limit_reached")
    assert redeem(prog, other, "mug")["points"] == 10  # the limit is per member
    assert prog.balance(member)["available"] == 80


def test_cancelling_refunds_the_points_once_and_only_pending_or_issued_redemptions_move(prog):
    reward(prog, "mug", 30, "manual")
    member = rich_member(prog, 100)
    kept, refunded, plain = (redeem(prog, member, "mug") for _ in range(3))
    assert redemptions.complete(prog.caller, kept["redemptionId"])["status"] == "completed"
    reason = {"reason": "changed mind"}
    done = redemptions.cancel(prog.caller, refunded["redemptionId"], RedemptionCancel.model_validate(reason))
    assert (done["status"], done["cancelReason"]) == ("cancelled", "changed mind")
    assert done["refundTransactionId"] is not None
    assert prog.balance(member) == book(available=40, redeemed=60, lifetime=100, qualified=100)
    no_refund = RedemptionCancel.model_validate({**reason, "refund": False})
    assert redemptions.cancel(prog.caller, plain["redemptionId"], no_refund)["refundTransactionId"] is None
    assert prog.balance(member) == book(available=40, redeemed=60, lifetime=100, qualified=100)
    cancel = RedemptionCancel.model_validate(reason)
    for moved in (kept, refunded):
        assert refused(lambda r=moved: redemptions.cancel(prog.caller, r["redemptionId"], cancel)) == (
            409,
            "invalid_state",
        )
    assert refused(lambda: redemptions.complete(prog.caller, refunded["redemptionId"])) == (409, "invalid_state")
    assert prog.balance(member)["available"] == 40


def test_an_offer_s_reward_is_a_capped_percentage_a_fixed_amount_or_points_on_the_ledger(prog):
    offer(prog, "PCT", rewardType="percentage", offerAmount="15", maxRewardAmount="4.00")
    offer(prog, "PCT2", rewardType="percentage", offerAmount="12.5")
    offer(prog, "AMT", rewardType="amount", offerAmount="5", maxRewardAmount="3.50")
    offer(prog, "PTS", rewardType="points", offerAmount="30")
    member = prog.member()
    assert use(prog, "PCT", value="20.00")["rewardAmount"] == "3.00"
    assert use(prog, "PCT", value="40.00")["rewardAmount"] == "4.00"  # 6.00 capped
    assert use(prog, "PCT2", value="10.02")["rewardAmount"] == "1.25"  # 1.2525, to the cent
    assert use(prog, "PCT2", value="10.04")["rewardAmount"] == "1.26"  # 1.255 rounds half up
    assert use(prog, "AMT")["rewardAmount"] == "3.50"
    points = use(prog, "PTS", member)
    assert (points["points"], points["rewardAmount"]) == (30, None)
    assert transactions.get_transaction(TENANT, points["transactionId"])["points"] == 30
    assert prog.balance(member) == book(available=30, lifetime=30, qualified=30)
    assert invalid_fields(lambda: use(prog, "PTS")) == ["memberId"]  # a points offer needs its member


@pytest.mark.parametrize(
    ("value", "outcome"), [("19.99", (409, "minimum_spend_not_met")), ("20.00", None), ("20.01", None)]
)
def test_the_minimum_spend_is_met_by_exactly_that_value(prog, value, outcome):
    offer(prog, "MIN", minSpendAmount="20.00")
    if outcome:
        assert refused(lambda: use(prog, "MIN", value=value)) == outcome
    else:
        assert use(prog, "MIN", value=value)["rewardAmount"] == "5.00"


@pytest.mark.parametrize(
    ("redeemed_at", "outcome"),
    [
        ("2026-01-01T08:59:59Z", (409, "offer_not_active")),
        ("2026-01-01T09:00:00Z", None),
        ("2026-01-06T18:00:00Z", None),
        ("2026-01-06T18:00:01Z", (409, "offer_not_active")),
    ],
)
def test_an_offer_is_usable_from_its_start_date_up_to_and_at_its_end_date(prog, redeemed_at, outcome):
    offer(prog, "DATED", startDate="2026-01-01T09:00:00Z", endDate="2026-01-06T18:00:00Z")
    if outcome:
        assert refused(lambda: use(prog, "DATED", redeemedAt=redeemed_at)) == outcome
    else:
        assert use(prog, "DATED", redeemedAt=redeemed_at)["redeemedAt"] == redeemed_at


def test_offer_limits_per_member_and_in_total_are_exact(prog):
    offer(prog, "LIM", maxRedemptionsPerMember=2, maxRedemptionsTotal=3)
    offer(prog, "TOTAL", maxRedemptionsTotal=4)
    offer(prog, "FREE")
    first, second = prog.member(), prog.member()
    assert left(first) == {"LIM": 2, "TOTAL": 4, "FREE": None}  # None: unlimited
    use(prog, "LIM", first)
    use(prog, "TOTAL", first)
    assert left(first) == {"LIM": 1, "TOTAL": 3, "FREE": None}
    use(prog, "LIM", first)
    assert left(first) == {"TOTAL": 3, "FREE": None}
    assert left(second) == {"LIM": 1, "TOTAL": 3, "FREE": None}  # the total's last use, below the member's 2
    assert refused(lambda: use(prog, "LIM", first)) == (409, "offer_limit_reached")
    use(prog, "LIM", second)
    assert left(second) == {"TOTAL": 3, "FREE": None}  # LIM's total is used up: not shown
    assert refused(lambda: use(prog, "LIM", second)) == (409, "offer_limit_reached")
    assert invalid_fields(lambda: use(prog, "LIM")) == ["memberId"]  # limited per member: the member is needed


def test_an_order_uses_an_offer_once_and_activation_is_required_when_the_offer_says_so(prog):
    offer(prog, "ONCE")
    clip = offer(prog, "CLIP", requiresActivation=True)
    member = prog.member()
    made = use(prog, "ONCE", orderId="o-1", value="10.00")
    again = use(prog, "ONCE", orderId="o-1", value="10.00")
    assert (again.status, again.data["id"]) == (200, made["id"])
    assert refused(lambda: use(prog, "ONCE", orderId="o-1", value="11.00")) == (409, "already_redeemed")
    assert refused(lambda: use(prog, "CLIP", member)) == (409, "offer_not_activated")
    offers.activate(prog.caller, member, clip)
    assert use(prog, "CLIP", member)["rewardAmount"] == "5.00"
    assert refused(lambda: use(prog, "ONCE", member, teamId="other")) == (403, "forbidden")


def test_a_voucher_is_redeemed_once_between_its_activation_and_expiration_days(prog):
    offer_id = offer(prog, "VOU", startDate="2026-01-07T00:00:00Z", endDate="2026-01-10T23:59:59Z")
    member = prog.member()
    issued = vouchers.issue(prog.caller, offer_id, VoucherIssue.model_validate({"memberId": member}))
    assert (issued["activationDate"], issued["expirationDate"]) == ("2026-01-07", "2026-01-10")
    later = vouchers.issue(
        prog.caller, offer_id, VoucherIssue.model_validate({"customerName": "Ada", "activationDate": "2026-01-08"})
    )
    code = later["redemptionCode"]
    assert refused(lambda: vouchers.redeem(prog.caller, code, VoucherRedeem())) == (409, "voucher_not_active")
    prog.clock.current = datetime(2026, 1, 10, 23, 0, tzinfo=UTC)  # the expiration day itself
    assert vouchers.redeem(prog.caller, code, VoucherRedeem(orderId="o-9"))["status"] == "redeemed"
    assert refused(lambda: vouchers.redeem(prog.caller, code, VoucherRedeem())) == (409, "already_redeemed")
    assert refused(lambda: vouchers.cancel(prog.caller, code)) == (409, "already_redeemed")
    prog.clock.current = datetime(2026, 1, 11, 0, 0, tzinfo=UTC)
    assert refused(lambda: vouchers.redeem(prog.caller, issued["redemptionCode"], VoucherRedeem())) == (
        409,
        "voucher_expired",
    )
    assert vouchers.cancel(prog.caller, issued["redemptionCode"])["status"] == "cancelled"
    assert refused(lambda: vouchers.redeem(prog.caller, issued["redemptionCode"], VoucherRedeem())) == (
        409,
        "voucher_cancelled",
    )


def test_vouchers_count_toward_the_offer_s_limits_and_a_pooled_offer_runs_out(prog):
    limited = offer(prog, "VLIM", maxRedemptionsPerMember=1)
    pooled = offer(prog, "VPOOL")
    member = prog.member()
    vouchers.issue(prog.caller, limited, VoucherIssue.model_validate({"memberId": member}))
    status = refused(lambda: vouchers.issue(prog.caller, limited, VoucherIssue.model_validate({"memberId": member})))
    assert status == (409, "offer_limit_reached")
    added = vouchers.add_codes(
        prog.caller, pooled, VoucherCodesAdd.model_validate({"codes": ["POOL-1", "POOL-2", "POOL-2"]})
    )
    assert (added["added"], added["skipped"]) == (2, 1)
    ada = VoucherIssue.model_validate({"customerName": "Ada"})
    got = {vouchers.issue(prog.caller, pooled, ada)["redemptionCode"] for _ in range(2)}
    assert got == {"POOL-1", "POOL-2"}
    assert refused(lambda: vouchers.issue(prog.caller, pooled, ada)) == (409, "out_of_stock")


def test_codes_added_over_several_transactions_count_once_and_the_stock_adds_up(prog):
    reward(prog, "bulk", 1)
    first = [f"B-{n:04d}" for n in range(0, 300, 3)]  # 100 codes
    assert rewards.add_codes(prog.caller, "bulk", RewardCodesAdd.model_validate({"codes": first}))["added"] == 100
    second = [f"B-{n:04d}" for n in range(200)]  # 200 codes, 67 of them known, more than one transaction holds
    added = rewards.add_codes(prog.caller, "bulk", RewardCodesAdd.model_validate({"codes": second}))
    assert (added["added"], added["skipped"]) == (133, 67)
    assert added["stock"] == {"total": 233, "available": 233, "issued": 0}
    again = rewards.add_codes(
        prog.caller, "bulk", RewardCodesAdd.model_validate({"codes": first})
    )  # two chunks, all known
    assert (again["added"], again["skipped"], again["stock"]["total"]) == (0, 100, 233)
    member = rich_member(prog, 3)
    codes = {redeem(prog, member, "bulk")["couponCode"] for _ in range(3)}
    assert len(codes) == 3 and codes <= {f"B-{n:04d}" for n in range(300)}
    assert rewards.get_reward(TENANT, "bulk")["stock"] == {"total": 233, "available": 230, "issued": 3}


def test_the_checker_counts_each_voucher_as_a_use_of_its_offer_and_of_its_member(prog):
    limited = offer(prog, "COUNTED", maxRedemptionsPerMember=3, maxRedemptionsTotal=4)
    member = prog.member()
    use(prog, "COUNTED", member)
    vouchers.issue(prog.caller, limited, VoucherIssue.model_validate({"memberId": member}))
    vouchers.issue(prog.caller, limited, VoucherIssue.model_validate({"customerName": "Ada"}))
    assert left(member) == {"COUNTED": 1}  # 2 of the member's 3 and 3 of the total 4 used
    assert checker.check([TENANT])["problems"] == []


def test_the_checker_reports_each_offer_problem_with_its_facts_and_checks_every_offer(prog):
    first, second = offer(prog, "FIRST", maxRedemptionsTotal=2), offer(prog, "SECOND")
    member = prog.member()
    use(prog, "FIRST", member)
    use(prog, "FIRST", member)
    assert offer_problems() == []  # the total limit used exactly is kept, not exceeded
    store.transact([store.update(offer_usage(first).key(0), add={"uses": 1})])
    facts = {"tenantId": TENANT, "offerId": first}
    assert offer_problems() == [
        {**facts, "problem": "a usage shard above its cap", "shard": 0},
        {**facts, "problem": "redemptionCount differs from the redemptions recorded", "stored": 3, "counted": 2},
        # a use past the limit the shards' caps allowed: caps no longer add up to max(limit, uses)
        {**facts, "problem": "shard caps do not add up to the total limit (or the uses, if more)", "limit": 2},
    ]
    for offer_id in (first, second):
        store.transact([store.delete(offer_usage(offer_id).key(5))])
    problem = "an offer without its usage shards"
    assert offer_problems() == sorted(
        [{**facts, "problem": problem, "shards": 15}, {**facts, "offerId": second, "problem": problem, "shards": 15}],
        key=lambda p: p["offerId"],
    )


def test_the_checker_reports_a_member_s_uses_that_differ_from_the_member_s_redemptions(prog):
    first, second = offer(prog, "ONE", maxRedemptionsPerMember=5), offer(prog, "TWO", maxRedemptionsPerMember=5)
    member, other = prog.member(), prog.member()
    for code, who in (("ONE", member), ("ONE", member), ("TWO", member), ("ONE", other)):
        use(prog, code, who)
    assert offer_problems() == []
    store.transact([store.update(activations_db.key(TENANT, member, first), add={"uses": 1})])
    store.transact([store.delete(activations_db.key(TENANT, member, second))])  # its use is still recorded
    facts = {"tenantId": TENANT, "problem": "a member's uses differ from the member's redemptions", "memberId": member}
    found = [
        {**facts, "offerId": first, "stored": 3, "counted": 2},
        {**facts, "offerId": second, "stored": 0, "counted": 1},
    ]
    assert offer_problems() == sorted(found, key=lambda p: p["offerId"])


def test_the_checker_reports_a_points_redemption_whose_award_is_not_exactly_its_own(prog):
    points_offer = offer(prog, "PTS", rewardType="points", offerAmount="30")
    member = prog.member()
    made = [use(prog, "PTS", member) for _ in range(4)]
    assert offer_problems() == []
    changes = [{"points": 31}, {"status": "rejected"}, {"type": "deduct"}, {"memberId": prog.member()}]
    for redemption, change in zip(made, changes, strict=True):  # each award wrong in one way only
        store.transact([store.update(ledger_db.key(TENANT, redemption["transactionId"]), set_values=change)])
    facts = {"tenantId": TENANT, "offerId": points_offer, "problem": "a points redemption without its award"}
    assert offer_problems() == sorted(
        [{**facts, "redemptionId": redemption["id"]} for redemption in made], key=lambda p: p["redemptionId"]
    )


def test_the_checker_counts_a_shard_without_a_cap_as_cap_zero_and_reports_caps_not_adding_up(prog):
    capped = offer(prog, "CAPS", maxRedemptionsTotal=2)  # caps 1, 1 and 0 on the other 14 shards
    last = offer_usage(capped).key(offer_usage(capped).shards - 1)
    store.transact([store.update(last, remove=["cap"])])
    assert offer_problems() == []
    store.transact([store.update(last, set_values={"cap": 1})])
    problem = "shard caps do not add up to the total limit (or the uses, if more)"
    assert offer_problems() == [{"tenantId": TENANT, "offerId": capped, "problem": problem, "limit": 2}]


def test_a_redemption_and_its_transaction_record_the_reward_the_points_and_the_code_exactly(prog):
    reward(prog, "coffee", 30, value="4.50", couponExpiry="2026-03-01")
    rewards.add_codes(prog.caller, "coffee", RewardCodesAdd.model_validate({"codes": ["C-1"]}))
    reward(prog, "mug", 20, "manual", couponExpiry="2026-01-01")  # a coupon date does not bind a manual reward
    member = rich_member(prog, 100)
    coupon, manual = redeem(prog, member, "coffee"), redeem(prog, member, "mug")
    made = {"memberId": member, "currency": "USD", "refundTransactionId": None, "cancelReason": None}
    made |= {"createdAt": "2026-01-07T09:00:00Z", "updatedAt": "2026-01-07T09:00:00Z"}
    made |= {"grantedBy": None, "reason": None}  # a paid redemption is no grant (issue 25)
    assert without_ids(coupon) == without_ids(
        {**made, "rewardId": "coffee", "rewardName": "Coffee", "points": 30, "value": "4.50"}
        | {"couponCode": "C-1", "couponExpiry": "2026-03-01", "status": "issued"}
    )
    assert without_ids(manual) == without_ids(
        {**made, "rewardId": "mug", "rewardName": "Mug", "points": 20, "value": None}
        | {"couponCode": None, "couponExpiry": None, "status": "pending"}
    )
    assert redemptions.get_redemption(TENANT, coupon["redemptionId"]) == coupon
    entry = transactions.get_transaction(TENANT, coupon["transactionId"])
    assert (entry["type"], entry["points"], entry["status"], entry["memberId"]) == ("redeem", 30, "approved", member)
    assert (entry["rewardId"], entry["redemptionId"], entry["reason"]) == (
        "coffee",
        coupon["redemptionId"],
        "redeemed Coffee",
    )
    assert rewards.get_reward(TENANT, "mug")["stock"] == {"total": None, "available": None, "issued": 1}
    assert rewards.get_reward(TENANT, "coffee")["stock"] == {"total": 1, "available": 0, "issued": 1}
    assert checker.check([TENANT])["problems"] == []
    no_refund = RedemptionCancel.model_validate({"reason": "lost", "refund": False})
    cancel = replayed_status(lambda c: redemptions.cancel(c, coupon["redemptionId"], no_refund), prog.keyed("k1"))
    assert cancel == 200  # an issued coupon may be cancelled
    assert redemptions.get_redemption(TENANT, coupon["redemptionId"])["status"] == "cancelled"


def test_a_cancelled_redemption_refunds_fresh_points_and_frees_the_member_s_limit(prog):
    reward(prog, "mug", 20, "manual", maxPerMember=1)
    member = rich_member(prog, 50)
    first = redeem(prog, member, "mug")
    prog.clock.advance(days=1)
    done = redemptions.cancel(prog.caller, first["redemptionId"], RedemptionCancel.model_validate({"reason": "broken"}))
    assert without_ids(done) == {**without_ids(first), "status": "cancelled", "cancelReason": "broken"} | {
        "updatedAt": "2026-01-08T09:00:00Z"
    }
    assert redemptions.get_redemption(TENANT, first["redemptionId"]) == done
    refund = transactions.get_transaction(TENANT, done["refundTransactionId"])
    assert (refund["type"], refund["points"], refund["status"], refund["reason"]) == (
        "refund",
        20,
        "approved",
        "broken",
    )
    assert (refund["rewardId"], refund["redemptionId"], refund["memberId"]) == ("mug", first["redemptionId"], member)
    assert refund["expiresAt"] == "2026-02-07T23:59:59Z"  # refunded on 2026-01-08, spendable for 30 days
    assert prog.balance(member) == book(available=50, lifetime=50, qualified=50)
    again = redeem(prog, member, "mug")  # the cancelled one no longer counts toward maxPerMember
    other = redeem(prog, rich_member(prog, 20), "mug")
    prog.clock.advance(hours=1)
    assert replayed_status(lambda c: redemptions.complete(c, again["redemptionId"]), prog.keyed("k2")) == 200
    completed = redemptions.get_redemption(TENANT, again["redemptionId"])
    assert (completed["status"], completed["updatedAt"]) == ("completed", "2026-01-08T10:00:00Z")
    assert refused(lambda: redeem(prog, member, "mug")) == (409, "frequency_limit_reached")
    mine = redemptions.list_redemptions(TENANT, RedemptionListQuery.model_validate({}), member).items
    assert [r["redemptionId"] for r in mine] == [again["redemptionId"], first["redemptionId"]]  # newest first
    everyone = redemptions.list_redemptions(TENANT, RedemptionListQuery.model_validate({})).items
    assert [r["redemptionId"] for r in everyone] == [other["redemptionId"], *(r["redemptionId"] for r in mine)]
    cancelled = redemptions.list_redemptions(TENANT, RedemptionListQuery.model_validate({"status": "cancelled"})).items
    assert cancelled == [done]
    assert checker.check([TENANT])["problems"] == []


def test_a_reward_for_some_tiers_is_refused_to_members_of_other_tiers_and_without_one(prog):
    tiers = [
        {"tierId": "silver", "name": "Silver", "threshold": 10},
        {"tierId": "gold", "name": "Gold", "threshold": 50},
    ]
    prog.settings(tiers=tiers)
    reward(prog, "lounge", 5, "manual", tierIds=["gold"])
    assert refused(lambda: redeem(prog, rich_member(prog, 9), "lounge")) == (409, "not_eligible")  # no tier yet
    assert refused(lambda: redeem(prog, rich_member(prog, 49), "lounge")) == (409, "not_eligible")  # silver
    assert redeem(prog, rich_member(prog, 50), "lounge")["points"] == 5  # gold


def test_a_voucher_holds_its_offer_its_holder_s_name_and_its_dates(prog):
    dated = offer(prog, "VDATES", startDate="2026-01-07T09:00:00Z", endDate="2026-01-20T18:00:00Z")
    named, plain = prog.member(firstName="Ada", lastName="Lovelace"), prog.member()
    issued = replayed_status(
        lambda c: vouchers.issue(c, dated, VoucherIssue.model_validate({"memberId": named})), prog.keyed("v1")
    )
    assert issued == 201
    (first,) = vouchers.list_offer_vouchers(TENANT, dated, VoucherListQuery.model_validate({})).items
    assert {k: v for k, v in first.items() if k not in {"voucherId", "redemptionCode"}} == {
        "offerId": dated,
        "memberId": named,
        "customerName": "Ada Lovelace",
        "status": "acquired",
        "acquiredAt": "2026-01-07T09:00:00Z",
        "redeemedAt": None,
        "cancelledAt": None,
        "activationDate": "2026-01-07",
        "expirationDate": "2026-01-20",
        "orderId": None,
    }
    assert give(prog, dated, memberId=plain)["customerName"] is None
    assert give(prog, dated, memberId=plain, customerName="Bob")["customerName"] == "Bob"
    narrowed = give(prog, dated, customerName="Cy", activationDate="2026-01-08", expirationDate="2026-01-08")
    assert (narrowed["memberId"], narrowed["activationDate"], narrowed["expirationDate"]) == (
        None,
        "2026-01-08",
        "2026-01-08",
    )
    open_ended = give(prog, offer(prog, "VOPEN"), customerName="Di")
    assert (open_ended["activationDate"], open_ended["expirationDate"]) == ("2026-01-07", None)  # from today, no end


def test_a_voucher_s_dates_may_narrow_the_offer_s_but_not_widen_them_or_end_before_they_start(prog):
    dated = offer(prog, "VWIDE", startDate="2026-01-05T00:00:00Z", endDate="2026-01-20T23:59:59Z")
    ada = {"customerName": "Ada"}
    assert invalid_fields(lambda: give(prog, dated, **ada, activationDate="2026-01-04")) == ["activationDate"]
    assert invalid_fields(lambda: give(prog, dated, **ada, expirationDate="2026-01-21")) == ["expirationDate"]
    both = {"activationDate": "2026-01-04", "expirationDate": "2026-01-21"}
    assert invalid_fields(lambda: give(prog, dated, **ada, **both)) == ["activationDate", "expirationDate"]
    assert invalid_fields(lambda: give(prog, dated, **ada, expirationDate="2026-01-06")) == ["expirationDate"]  # past
    later = {"activationDate": "2026-01-10", "expirationDate": "2026-01-09"}
    assert invalid_fields(lambda: give(prog, dated, **ada, **later)) == ["expirationDate"]
    edges = give(prog, dated, **ada, activationDate="2026-01-05", expirationDate="2026-01-07")  # start day, today
    assert (edges["activationDate"], edges["expirationDate"]) == ("2026-01-05", "2026-01-07")
    assert give(prog, dated, **ada, expirationDate="2026-01-20")["expirationDate"] == "2026-01-20"
    assert invalid_fields(lambda: give(prog, dated)) == ["memberId"]  # a member or a customer's name


def test_a_voucher_is_issued_only_for_a_published_running_offer_to_an_active_member(prog):
    running = offer(prog, "VRUN", startDate="2026-01-07T09:00:00Z", endDate="2026-01-07T18:00:00Z")
    draft = offer(prog, "VDRAFT", status="draft")
    ada = {"customerName": "Ada"}
    assert give(prog, running, **ada)["status"] == "acquired"  # at its start
    assert refused(lambda: give(prog, draft, **ada)) == (409, "offer_not_active")
    assert refused(lambda: give(prog, "no-such-offer", **ada)) == (404, "not_found")
    assert refused(lambda: give(prog, running, memberId="no-such-member")) == (404, "not_found")
    suspended = prog.member()
    members.update_member(prog.caller, suspended, MemberUpdate.model_validate({"status": "suspended"}))
    assert refused(lambda: give(prog, running, memberId=suspended)) == (409, "invalid_state")
    prog.clock.current = datetime(2026, 1, 7, 8, 59, 59, tzinfo=UTC)
    assert refused(lambda: give(prog, running, **ada)) == (409, "offer_not_active")
    prog.clock.current = datetime(2026, 1, 7, 18, 0, 0, tzinfo=UTC)
    assert give(prog, running, **ada)["status"] == "acquired"  # at its end
    prog.clock.current = datetime(2026, 1, 7, 18, 0, 1, tzinfo=UTC)
    assert refused(lambda: give(prog, running, **ada)) == (409, "offer_not_active")


def test_vouchers_are_found_by_id_or_code_within_their_offer_and_listed_by_status(prog):
    first_offer, other_offer = offer(prog, "VFIND"), offer(prog, "VOTHER")
    kept = give(prog, first_offer, customerName="Ada")
    prog.clock.advance(minutes=1)
    spent = give(prog, first_offer, customerName="Bob")
    assert vouchers.lookup(TENANT, kept["voucherId"]) == kept
    assert vouchers.lookup(TENANT, kept["redemptionCode"]) == kept
    assert refused(lambda: vouchers.lookup(TENANT, "NO-SUCH-CODE")) == (404, "not_found")
    assert vouchers.get_offer_voucher(TENANT, first_offer, kept["voucherId"]) == kept
    assert refused(lambda: vouchers.get_offer_voucher(TENANT, other_offer, kept["voucherId"])) == (404, "not_found")
    prog.clock.advance(hours=1)
    redeemed = replayed_status(
        lambda c: vouchers.redeem(c, spent["voucherId"], VoucherRedeem.model_validate({"orderId": "o-7"})),
        prog.keyed("k3"),
    )
    assert redeemed == 200  # by id
    done = vouchers.lookup(TENANT, spent["voucherId"])
    assert (done["status"], done["redeemedAt"], done["orderId"]) == ("redeemed", "2026-01-07T10:01:00Z", "o-7")
    listed = vouchers.list_offer_vouchers(
        TENANT, first_offer, VoucherListQuery.model_validate({"status": "acquired"})
    ).items
    assert listed == [kept]
    assert [
        v["voucherId"]
        for v in vouchers.list_offer_vouchers(TENANT, first_offer, VoucherListQuery.model_validate({})).items
    ] == [
        spent["voucherId"],
        kept["voucherId"],
    ]  # newest first
    assert vouchers.list_offer_vouchers(TENANT, other_offer, VoucherListQuery.model_validate({})).items == []
    assert refused(
        lambda: vouchers.list_offer_vouchers(TENANT, "no-such-offer", VoucherListQuery.model_validate({}))
    ) == (404, "not_found")
    assert replayed_status(lambda c: vouchers.cancel(c, kept["redemptionCode"]), prog.keyed("k4")) == 200  # by code
    gone = vouchers.lookup(TENANT, kept["voucherId"])
    assert (gone["status"], gone["cancelledAt"], gone["redeemedAt"]) == ("cancelled", "2026-01-07T10:01:00Z", None)


def test_voucher_codes_are_added_to_a_live_offer_only_and_never_look_like_ids(prog):
    pooled = offer(prog, "VADD")
    id_like = give(prog, offer(prog, "VGEN"), customerName="Ada")["voucherId"]
    body = VoucherCodesAdd.model_validate({"codes": ["POOL-OK-1", id_like]})  # valid as codes; the service refuses it
    assert invalid_fields(lambda: vouchers.add_codes(prog.caller, pooled, body)) == ["codes[1]"]
    codes_body = VoucherCodesAdd.model_validate({"codes": ["POOL-1", "POOL-1", "POOL-2"]})
    assert refused(lambda: vouchers.add_codes(prog.caller, "no-such-offer", codes_body)) == (404, "not_found")
    added = vouchers.add_codes(prog.caller, pooled, codes_body)
    assert added == {"added": 2, "skipped": 1, "stock": {"total": 2, "available": 2, "issued": 0}}
    offers.update_offer(prog.caller, pooled, OfferUpdate.model_validate({"status": "archived"}))
    assert refused(lambda: vouchers.add_codes(prog.caller, pooled, codes_body)) == (409, "invalid_state")


def test_an_erased_member_is_credited_nothing_by_a_refund_or_an_order(prog):
    prog.activity("sale", type="multiplier", multiplier=1)
    prog.settings(saleActivityId="sale")
    reward(prog, "mug", 20, "manual")
    member = rich_member(prog, 50)
    made = redeem(prog, member, "mug")
    members.erase_member(prog.caller, member)
    refund = RedemptionCancel.model_validate({"reason": "erased"})
    assert refused(lambda: redemptions.cancel(prog.caller, made["redemptionId"], refund)) == (409, "invalid_state")
    assert refused(lambda: order(prog, member, "o-erased", "10.00")) == (409, "invalid_state")
    assert refused(lambda: orders.get_order(TENANT, "o-erased")) == (404, "not_found")  # nothing recorded


# --- issue 18: refusals of awards and reward redemptions, word for word (mutation testing's survivors) ----------


def said(call):
    """(status, code, message, details) of the ApiError a call raises (the test fails if it succeeds)."""
    with pytest.raises(ApiError) as error:
        call()
    return error.value.status, error.value.code, error.value.message, error.value.details


def test_each_refused_award_says_why_with_its_limit_and_window(prog):
    prog.activity("checkin", points=5, maxAwardFrequency=2, maxAwardFrequencyInterval="day")
    prog.activity("review", type="multiplier", multiplier=0.5)
    prog.activity("closed", points=10, isActive=False)
    prog.activity("visit", points=10)
    member = prog.member()
    prog.award(member, "checkin")
    prog.award(member, "checkin")
    limit = "The member has reached the limit of 2 awards of this activity per day."
    assert said(lambda: prog.award(member, "checkin")) == (409, "frequency_limit_reached", limit, [])
    inactive = (409, "activity_inactive", "The activity is not active.", [])
    assert said(lambda: prog.award(member, "closed")) == inactive
    base = [{"field": "points", "message": "is required for a multiplier activity"}]
    assert said(lambda: prog.award(member, "review"))[::3] == (400, base)
    tiny = [{"field": "points", "message": "the award would be less than 1 point"}]
    assert said(lambda: prog.award(member, "review", points=1))[::3] == (400, tiny)
    prog.award(member, "visit", orderId="o-1")
    twice = (409, "duplicate", "This orderId has already earned points through this activity.", [])
    assert said(lambda: prog.award(member, "visit", orderId="o-1")) == twice
    assert prog.balance(member)["available"] == 20


def test_each_refused_redemption_says_why_with_its_date_or_limit(prog):
    reward(prog, "closed", 10, "manual", isActive=False)
    reward(prog, "dated", 10, couponExpiry="2026-01-07")
    reward(prog, "empty", 10)
    reward(prog, "mug", 10, "manual", maxPerMember=1)
    member = rich_member(prog, 100)
    assert said(lambda: redeem(prog, member, "closed")) == (409, "reward_inactive", "The reward is not active.", [])
    assert said(lambda: redeem(prog, member, "empty")) == (409, "out_of_stock", "The reward has no codes left.", [])
    held = redeem(prog, member, "mug")
    again = (409, "frequency_limit_reached", "The member holds 1 redemptions of this reward already.", [])
    assert said(lambda: redeem(prog, member, "mug")) == again
    assert redemptions.complete(prog.caller, held["redemptionId"])["status"] == "completed"
    moved = (409, "invalid_state", "A redemption that is completed can't move this way.", [])
    assert said(lambda: redemptions.complete(prog.caller, held["redemptionId"])) == moved
    prog.clock.current = datetime(2026, 1, 8, 0, 0, tzinfo=UTC)
    until = (409, "reward_inactive", "The reward's coupon codes were valid until 2026-01-07.", [])
    assert said(lambda: redeem(prog, member, "dated")) == until
    assert prog.balance(member)["available"] == 90


def test_a_member_who_may_not_move_points_is_told_why_and_how_many_are_available(prog):
    prog.activity("visit", points=10)
    member, suspended, erased = prog.member(), prog.member(), prog.member()
    for each in (member, suspended, erased):
        prog.award(each, "visit")
    members.update_member(prog.caller, suspended, MemberUpdate.model_validate({"status": "suspended"}))
    members.erase_member(prog.caller, erased)
    short = (409, "insufficient_points", "The member has 10 points available.", [])
    assert said(lambda: prog.deduct(member, 11)) == short
    paused = (409, "invalid_state", "The member is suspended: it can't earn or spend points.", [])
    assert said(lambda: prog.award(suspended, "visit")) == paused
    gone = (409, "invalid_state", "The member was erased: it can't earn, spend or receive points.", [])
    assert said(lambda: prog.award(erased, "visit")) == gone
    assert said(lambda: prog.deduct(erased, 1)) == gone


def test_a_redemptions_page_token_pages_on_only_its_own_tenant_member_and_list(prog):
    reward(prog, "mug", 10, "manual")
    member, other = rich_member(prog, 100), rich_member(prog, 100)
    for each in (member, member, other, other):
        redeem(prog, each, "mug")
    tenants.create_tenant("money2", "Other tenant")

    def listed(member_id=member, tenant_id=TENANT, **query):
        return redemptions.list_redemptions(tenant_id, RedemptionListQuery.model_validate(query), member_id)

    foreign_token_refused(listed, {}, {}, other=lambda **query: listed(other, **query))
    ledger = lambda **query: transactions.list_transactions(  # noqa: E731
        TENANT, TransactionListQuery.model_validate(query), member
    )
    foreign_token_refused(listed, {}, {}, other=ledger)
    program_wide = lambda **query: listed(None, **query)  # noqa: E731
    foreign_token_refused(program_wide, {}, {}, other=lambda **query: listed(None, "money2", **query))
    no_member = (404, "not_found", "The member does not exist.", [])
    assert said(lambda: listed("no-such-member")) == no_member
    assert said(lambda: redeem(prog, "no-such-member", "mug")) == no_member
    missing = (404, "not_found", "The redemption does not exist.", [])
    assert said(lambda: redemptions.get_redemption(TENANT, "no-such-redemption")) == missing
    assert said(lambda: redemptions.complete(prog.caller, "no-such-redemption")) == missing
    cancel = RedemptionCancel.model_validate({"reason": "changed mind"})
    assert said(lambda: redemptions.cancel(prog.caller, "no-such-redemption", cancel)) == missing


def test_a_coupon_handed_out_is_recorded_with_its_redemption_and_member(prog):
    reward(prog, "coffee", 10)
    rewards.add_codes(prog.caller, "coffee", RewardCodesAdd.model_validate({"codes": ["CUP-1"]}))
    member = rich_member(prog, 10)
    made = redeem(prog, member, "coffee")
    pool = rewards_db.code_pool(TENANT, rewards.load(TENANT, "coffee"))
    handed = store.get(pool.issued_key("CUP-1"))
    assert handed is not None
    assert {name: handed[name] for name in ("code", "redemptionId", "memberId")} == {
        "code": "CUP-1",
        "redemptionId": made["redemptionId"],
        "memberId": member,
    }


# --- issue 18, fourth session: the survivors of awards, book, checker_offers and orders on today's code ----------


def test_an_award_or_a_deduction_for_an_unknown_member_is_a_404_naming_the_member(prog):
    prog.activity("visit", points=10)
    no_member = (404, "not_found", "The member does not exist.", [])
    assert said(lambda: prog.award("no-such-member", "visit")) == no_member
    assert said(lambda: prog.deduct("no-such-member", 1)) == no_member


def test_an_award_order_stores_each_award_s_formula_and_moves_its_version_by_one_per_write(prog):
    """docs/data-model.md: the order's `earnings` (each award's formula, what a return keeps); its `version`,
    the condition of its next write, one more after each (recorded 0, joined 1, returned 2)."""
    prog.activity("sale", type="multiplier", multiplier=2)
    prog.activity("half", type="multiplier", multiplier=0.5)
    member = prog.member()
    prog.award(member, "sale", points=10, orderId="o-1")

    def stored():
        item = store.get(orders_db.key(TENANT, "o-1"))
        assert item is not None
        return item["version"], item["earnings"]

    assert stored() == (0, [{"kind": "multiplier", "base": "10", "multiplier": "2", "points": 20}])
    prog.award(member, "half", points=5, orderId="o-1")
    half = {"kind": "multiplier", "base": "5", "multiplier": "0.5", "points": 2}
    assert stored() == (1, [{"kind": "multiplier", "base": "10", "multiplier": "2", "points": 20}, half])
    give_back(prog, "o-1", returnedAmount="1.00")
    assert stored()[0] == 2


def test_a_member_s_version_moves_by_exactly_one_with_each_write_of_its_points(prog):
    """docs/data-model.md: every change writes the member on condition its `version` is the one read, and moves it
    by one (the next writer's condition); a version left as it was would let a stale writer through."""
    prog.activity("visit", points=10)
    member = prog.member()

    def version():
        item = store.get(members_db.key(TENANT, member))
        assert item is not None
        return item["version"]

    created = version()
    prog.award(member, "visit")
    assert version() == created + 1
    prog.deduct(member, 4)
    assert version() == created + 2


# --- issue 18, fifth session: the survivors of redemptions on the code of 745ab97 ------------------------------


def test_a_redemption_refused_for_its_member_tier_dates_or_window_says_why_word_for_word(prog):
    """Each refusal of POST /members/{id}/redemptions not checked word for word above, and the dates' edges:
    a reward is redeemable from its startDate (that second on) up to and at its endDate."""
    prog.settings(tiers=[{"tierId": "gold", "name": "Gold", "threshold": 1000}])
    reward(prog, "mug", 10, "manual")
    reward(prog, "lounge", 10, "manual", tierIds=["gold"])
    reward(prog, "later", 10, "manual", startDate="2026-01-07T10:00:00Z", endDate="2026-01-07T11:00:00Z")
    reward(prog, "daily", 10, "manual", maxPerMember=1, maxPerMemberInterval="day")
    member, suspended, erased, poor = (rich_member(prog, points) for points in (100, 100, 100, 9))
    members.update_member(prog.caller, suspended, MemberUpdate.model_validate({"status": "suspended"}))
    members.erase_member(prog.caller, erased)
    paused = (409, "invalid_state", "The member is suspended: it can't earn or spend points.", [])
    assert said(lambda: redeem(prog, suspended, "mug")) == paused
    gone = (409, "invalid_state", "The member was erased: it can't earn, spend or receive points.", [])
    assert said(lambda: redeem(prog, erased, "mug")) == gone
    short = (409, "insufficient_points", "The member has 9 points available.", [])
    assert said(lambda: redeem(prog, poor, "mug")) == short
    tier = (409, "not_eligible", "The member's tier may not redeem this reward.", [])
    assert said(lambda: redeem(prog, member, "lounge")) == tier
    prog.clock.current = datetime(2026, 1, 7, 9, 59, 59, tzinfo=UTC)
    early = (409, "reward_inactive", "The reward may be redeemed from 2026-01-07T10:00:00Z.", [])
    assert said(lambda: redeem(prog, member, "later")) == early
    prog.clock.advance(seconds=1)
    assert redeem(prog, member, "later")["status"] == "pending"  # its first second
    prog.clock.current = datetime(2026, 1, 7, 11, 0, 0, tzinfo=UTC)
    assert redeem(prog, member, "later")["status"] == "pending"  # its last second
    prog.clock.advance(seconds=1)
    late = (409, "reward_inactive", "The reward could be redeemed until 2026-01-07T11:00:00Z.", [])
    assert said(lambda: redeem(prog, member, "later")) == late
    redeem(prog, member, "daily")
    held = (409, "frequency_limit_reached", "The member holds 1 redemptions of this reward already this day (UTC).", [])
    assert said(lambda: redeem(prog, member, "daily")) == held
    assert prog.balance(member)["available"] == 70


def reward_counters(member):
    """The member's reward limit counters, by sort key: their counts."""
    items, _ = store.query(("pk", members_db.partition(TENANT, member)))
    return {item["sk"]: item["count"] for item in items if item["sk"].startswith("RWDCOUNT#")}


@pytest.mark.parametrize(("interval", "window"), [("day", "2026-01-07"), ("week", "2026-W02")])
def test_a_cancel_within_the_window_gives_its_use_back_to_that_window(prog, interval, window):
    """Two a window: the second redemption moves the window's counter from 1 to 2 (on condition it is below
    2), a third is refused; a cancel in the same window gives one use back, and it can be used again."""
    reward(prog, "mug", 10, "manual", maxPerMember=2, maxPerMemberInterval=interval)
    member, other = rich_member(prog, 100), rich_member(prog, 100)
    first = redeem(prog, member, "mug")
    redeem(prog, other, "mug")
    assert reward_counters(member) == {"RWDCOUNT#mug": 1, f"RWDCOUNT#mug#{window}": 1}
    redeem(prog, member, "mug")
    assert reward_counters(member) == {"RWDCOUNT#mug": 2, f"RWDCOUNT#mug#{window}": 2}
    held = f"The member holds 2 redemptions of this reward already this {interval} (UTC)."
    assert said(lambda: redeem(prog, member, "mug")) == (409, "frequency_limit_reached", held, [])
    prog.clock.advance(hours=1)
    redemptions.cancel(prog.caller, first["redemptionId"], RedemptionCancel.model_validate({"reason": "x"}))
    assert reward_counters(member) == {"RWDCOUNT#mug": 1, f"RWDCOUNT#mug#{window}": 1}
    assert reward_counters(other) == {"RWDCOUNT#mug": 1, f"RWDCOUNT#mug#{window}": 1}  # another member's kept
    again = redeem(prog, member, "mug")  # the use came back: the member may redeem once more this window
    stored = store.get(redemptions_db.key(TENANT, again["redemptionId"]))
    assert (stored["limitInterval"], stored["limitWindow"]) == (interval, window)  # where a cancel gives it back
    assert reward_counters(member) == {"RWDCOUNT#mug": 2, f"RWDCOUNT#mug#{window}": 2}
    assert refused(lambda: redeem(prog, member, "mug")) == (409, "frequency_limit_reached")
    assert prog.balance(member)["available"] == 80  # three redeemed, one refunded
    assert checker.check([TENANT])["problems"] == []


def test_a_member_s_reward_list_gives_each_active_reward_with_every_reason_in_the_redemption_s_order(prog):
    """GET /members/{id}/rewards (services.redemptions.list_member_rewards): each active reward by rewardId with
    its stock, whether the member may redeem it now and every reason why not, in the order the redemption
    checks them (its first is the redemption's refusal); `eligible` keeps one kind; paged, the page token bound
    to its member; 404 without member."""
    tiers = [{"tierId": "base", "name": "Base", "threshold": 0}, {"tierId": "gold", "name": "Gold", "threshold": 1000}]
    prog.settings(tiers=tiers)
    reward(prog, "a-gold", 100, "manual", tierIds=["gold"])
    reward(prog, "b-once", 10, "manual", maxPerMember=1, maxPerMemberInterval="day")
    reward(prog, "c-dear", 5000, "manual")
    reward(prog, "d-empty", 10)
    reward(prog, "e-late", 5000, "manual", startDate="2026-06-01T00:00:00Z", tierIds=["gold"])
    reward(prog, "f-fine", 10, "manual")
    reward(prog, "g-off", 10, "manual", isActive=False)
    reward(prog, "h-stock", 10, maxPerMember=2)
    rewards.add_codes(prog.caller, "h-stock", RewardCodesAdd.model_validate({"codes": ["H-1", "H-2", "H-3"]}))
    reward(prog, "i-ended", 10, "manual", endDate="2026-01-07T08:59:59Z")
    reward(prog, "j-stale", 10, couponExpiry="2026-01-06")
    rewards.add_codes(prog.caller, "j-stale", RewardCodesAdd.model_validate({"codes": ["J-1"]}))
    rich, plain, poor = rich_member(prog, 1000), rich_member(prog, 100), prog.member()  # gold, base, base
    redeem(prog, rich, "b-once")
    redeem(prog, rich, "h-stock")
    members.update_member(prog.caller, poor, MemberUpdate.model_validate({"status": "suspended"}))

    def page(member, **query):
        return redemptions.list_member_rewards(TENANT, member, MemberRewardListQuery.model_validate(query))

    def listed(member, limit=3, **query):
        out, token = [], None
        for _ in range(10):  # 10 rewards: at most 4 pages of 3 (a token that never ends fails here)
            answer = page(member, limit=limit, **({"nextToken": token} if token else {}), **query)
            out += answer.items
            if not (token := answer.next_token):
                return out
        raise AssertionError("the pages never end")

    first = page(rich, limit=3)
    assert ([r["rewardId"] for r in first.items], first.next_token is not None) == (
        ["a-gold", "b-once", "c-dear"],
        True,
    )
    everything = listed(rich)
    assert {r["rewardId"]: r["ineligibleReasons"] for r in everything} == {
        "a-gold": [],
        "b-once": ["member_limit_reached"],
        "c-dear": ["insufficient_points"],
        "d-empty": ["out_of_stock"],
        "e-late": ["not_started", "insufficient_points"],
        "f-fine": [],
        "h-stock": [],
        "i-ended": ["ended"],
        "j-stale": ["coupon_expired"],
    }
    assert [r["rewardId"] for r in everything] == sorted(r["rewardId"] for r in everything)  # by rewardId
    by_id = {r["rewardId"]: r for r in everything}
    assert by_id["h-stock"] == {**rewards.get_reward(TENANT, "h-stock"), "eligible": True, "ineligibleReasons": []}
    assert by_id["h-stock"]["stock"] == {"total": 3, "available": 2, "issued": 1}
    assert by_id["c-dear"] == {
        **rewards.get_reward(TENANT, "c-dear"),
        "eligible": False,
        "ineligibleReasons": ["insufficient_points"],
    }
    assert [r["rewardId"] for r in listed(rich, eligible=True)] == ["a-gold", "f-fine", "h-stock"]
    assert [r["rewardId"] for r in listed(rich, limit=100, eligible=False)] == [
        "b-once",
        "c-dear",
        "d-empty",
        "e-late",
        "i-ended",
        "j-stale",
    ]
    reasons = {r["rewardId"]: r["ineligibleReasons"] for r in listed(plain)}
    assert (reasons["a-gold"], reasons["e-late"]) == (["tier"], ["not_started", "tier", "insufficient_points"])
    redeem(prog, rich, "h-stock")  # the second of two: h-stock's limit reached too
    assert [r["ineligibleReasons"] for r in listed(rich) if r["rewardId"] in ("b-once", "h-stock")] == [
        ["member_limit_reached"],
        ["member_limit_reached"],
    ]
    assert {r["rewardId"]: r["ineligibleReasons"][0] for r in listed(poor)} == dict.fromkeys(
        ["a-gold", "b-once", "c-dear", "d-empty", "e-late", "f-fine", "h-stock", "i-ended", "j-stale"],
        "member_inactive",
    )
    assert listed(poor, eligible=True) == []
    foreign_token_refused(lambda **query: page(rich, **query), {}, {}, other=lambda **query: page(plain, **query))
    with pytest.raises(ApiError) as missing:
        listed("no-such-member")
    assert (missing.value.status, missing.value.message) == (404, "The member does not exist.")
    prog.clock.advance(days=1)  # a new day: b-once's window has turned
    assert [r["rewardId"] for r in listed(rich, eligible=True)] == ["a-gold", "b-once", "f-fine"]
