"""Offer, voucher and reward dates to the second (and a till's clock 5 minutes ahead), minimum spend to the cent:
at, just before and just after each edge."""

from datetime import timedelta

import pytest
from loyalty import clock

from tests.support.boundaries import at, redeem_offer
from tests.support.ledger import activity, award, balance, member, outcome
from tests.support.vouchers import issue
from tests.support.vouchers import published_offer as live_offer

START, END = "2030-06-01T12:00:00Z", "2030-06-30T18:00:00Z"
SECOND = timedelta(seconds=1)
OFF = "offer_not_active"


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(START) - SECOND, {"daysRemaining": "unlisted", "activate": 200, "redeem": OFF, "issue": OFF, "late": OFF}),
        (at(START), {"daysRemaining": 29, "activate": 200, "redeem": 201, "issue": 201, "late": 201}),
        (at(END), {"daysRemaining": 0, "activate": 200, "redeem": 201, "issue": 201, "late": 201}),
        (at(END) + SECOND, {"daysRemaining": "unlisted", "activate": OFF, "redeem": OFF, "issue": OFF, "late": OFF}),
    ],
    ids=["start-1s", "start", "end", "end+1s"],
)
def test_an_offer_runs_from_its_start_to_its_end_inclusive(tenant, frozen, moment, expected):
    """Listed for the member, activated (allowed before the start: clipping ahead is harmless), redeemed
    now, a voucher issued, and redeemed by a till reporting `moment` as redeemedAt an hour after the end."""
    frozen.current = at(START) - timedelta(days=1)
    offer = live_offer(tenant.admin, startDate=START, endDate=END)
    m = member(tenant.integration, "a@example.com")
    frozen.current = moment
    shown = {o["offerId"]: o["daysRemaining"] for o in tenant.read.get(f"/members/{m}/offers").data}
    outcomes = {
        "daysRemaining": shown.get(offer["offerId"], "unlisted"),
        "activate": outcome(tenant.integration.post(f"/members/{m}/offers/{offer['offerId']}/activation")),
        "redeem": outcome(redeem_offer(tenant, offer, memberId=m)),
        "issue": outcome(issue(tenant.integration, offer["offerId"])),
    }
    frozen.current = at(END) + timedelta(hours=1)
    outcomes["late"] = outcome(redeem_offer(tenant, offer, memberId=m, redeemedAt=clock.iso(moment)))
    assert outcomes == expected


def test_a_voucher_is_redeemable_from_its_activation_day_through_its_expiration_day(tenant, frozen):
    frozen.current = at("2030-06-01T00:00:00Z")
    offer = live_offer(tenant.admin)
    days = {"activationDate": "2030-06-10", "expirationDate": "2030-06-20"}
    moments = ("2030-06-09T23:59:59Z", "2030-06-10T00:00:00Z", "2030-06-20T23:59:59Z", "2030-06-21T00:00:00Z")
    vouchers = {moment: issue(tenant.integration, offer["offerId"], **days).data["voucherId"] for moment in moments}
    answers = {}
    for moment, voucher_id in vouchers.items():
        frozen.current = at(moment)
        answers[moment] = outcome(tenant.integration.post(f"/vouchers/{voucher_id}/redeem"))
    assert answers == dict(zip(moments, ("voucher_not_active", 200, 200, "voucher_expired"), strict=True))


@pytest.mark.parametrize(
    ("moment", "expected"), [("2030-06-30T23:59:59Z", 201), ("2030-07-01T00:00:00Z", "reward_inactive")]
)
def test_a_coupon_reward_is_redeemable_through_its_expiry_day(tenant, frozen, moment, expected):
    frozen.current = at("2030-06-01T00:00:00Z")
    body = {"rewardId": "coffee", "name": "Coffee", "pointsCost": 100, "fulfillment": "coupon", "isActive": True}
    assert tenant.admin.post("/rewards", {**body, "couponExpiry": "2030-06-30"}).status == 201
    assert tenant.admin.post("/rewards/coffee/codes", {"codes": ["C1"]}).status == 200
    activity(tenant.admin, "grant")
    m = member(tenant.integration, "b@example.com")
    assert award(tenant.integration, m, "grant", points=100).status == 201
    frozen.current = at(moment)
    assert outcome(tenant.integration.post(f"/members/{m}/redemptions", {"rewardId": "coffee"})) == expected
    assert balance(tenant.read, m)["available"] == (0 if expected == 201 else 100)


def test_minimum_spend_is_met_by_exactly_the_amount(tenant):
    offer = live_offer(tenant.admin, minSpendAmount="20.00")
    values = ("19.99", "20.00", "20", "20.01")
    answers = {value: outcome(redeem_offer(tenant, offer, value=value)) for value in values}
    assert answers == {"19.99": "minimum_spend_not_met", "20.00": 201, "20": 201, "20.01": 201}
    assert tenant.read.get(f"/offers/{offer['offerId']}").data["redemptionCount"] == 3


@pytest.mark.parametrize(
    ("ahead", "expected"),
    [(timedelta(minutes=5), 201), (timedelta(minutes=5, seconds=1), "validation_error")],
    ids=["5min", "5min+1s"],
)
def test_a_tills_redeemed_at_may_run_five_minutes_ahead(tenant, frozen, ahead, expected):
    offer = live_offer(tenant.admin)
    assert outcome(redeem_offer(tenant, offer, redeemedAt=clock.iso(frozen.current + ahead))) == expected
