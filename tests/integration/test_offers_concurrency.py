"""Offer limits and once-per-order under real concurrency over the local API (real threads, real HTTP)."""

import pytest

from tests.support.concurrency import at_once
from tests.support.ledger import assert_ledger_clean, member
from tests.support.offers import outcome, publish, redeem

pytestmark = pytest.mark.xdist_group("concurrency")


def test_60_members_race_for_an_offer_limited_to_10(local_api, tenant):
    created = publish(tenant, "TEN", maxRedemptionsTotal=10)
    members = [member(tenant.integration, f"m{i}@example.com") for i in range(60)]
    replies = at_once(local_api, 60, lambda i: redeem(tenant, "TEN", memberId=members[i], orderId=f"o-{i}"))
    assert outcome(replies) == {(201, None): 10, (409, "offer_limit_reached"): 50}, outcome(replies)
    assert tenant.read.get(f"/offers/{created['offerId']}").data["redemptionCount"] == 10
    assert len(tenant.read.get("/offer-redemptions?limit=100").data) == 10
    assert_ledger_clean(tenant.tenant_id)


def test_the_same_order_20_times_with_different_keys_is_one_redemption(local_api, tenant):
    publish(tenant, "ONCE")
    m = member(tenant.integration, "once@example.com")
    replies = at_once(
        local_api,
        20,
        lambda i: tenant.integration.post(
            "/offer-redemptions",
            {"teamId": tenant.tenant_id, "offerCode": "ONCE", "memberId": m, "orderId": "o-1", "value": "9.99"},
            headers={"Idempotency-Key": f"key-{i}"},
        ),
    )
    assert all(r.status < 500 for r in replies), outcome(replies)
    assert outcome(replies) == {(201, None): 1, (200, None): 19}, outcome(replies)
    assert len({r.data["id"] for r in replies}) == 1
    assert len(tenant.read.get("/offer-redemptions?offerCode=ONCE").data) == 1
    assert tenant.read.get(f"/members/{m}").data["balance"]["available"] == 10
    assert_ledger_clean(tenant.tenant_id)


def test_a_member_limited_to_2_sending_10_at_once_gets_2(local_api, tenant):
    created = publish(tenant, "TWO", maxRedemptionsPerMember=2)
    m = member(tenant.integration, "two@example.com")
    replies = at_once(local_api, 10, lambda i: redeem(tenant, "TWO", memberId=m, orderId=f"o-{i}"))
    assert outcome(replies) == {(201, None): 2, (409, "offer_limit_reached"): 8}, outcome(replies)
    assert tenant.read.get(f"/offers/{created['offerId']}").data["redemptionCount"] == 2
    assert tenant.read.get(f"/members/{m}").data["balance"]["available"] == 20
    assert_ledger_clean(tenant.tenant_id)
