"""Redemptions under real concurrency over the local API: a code is issued once, nobody pays for nothing."""

from collections import Counter

import pytest

from tests.support.concurrency import at_once
from tests.support.ledger import activity, assert_ledger_clean, award, balance, member
from tests.support.local import ok

pytestmark = pytest.mark.xdist_group("concurrency")


def test_30_members_race_for_a_pool_of_10_codes(local_api, tenant):
    activity(tenant.admin, "grant", points=500)
    ok(
        201,
        tenant.admin.post(
            "/rewards",
            {"rewardId": "coffee", "name": "Coffee", "pointsCost": 100, "fulfillment": "coupon", "isActive": True},
        ),
    )
    ok(200, tenant.admin.post("/rewards/coffee/codes", {"codes": [f"CODE-{i}" for i in range(10)]}))
    members = [member(tenant.integration, f"m{i}@example.com") for i in range(30)]
    for m in members:
        assert award(tenant.integration, m, "grant").status == 201
    replies = at_once(
        local_api, 30, lambda i: tenant.integration.post(f"/members/{members[i]}/redemptions", {"rewardId": "coffee"})
    )
    outcome = Counter((r.status, r.code) for r in replies)
    assert outcome == {(201, None): 10, (409, "out_of_stock"): 20}, outcome
    codes = [r.data["couponCode"] for r in replies if r.status == 201]
    assert sorted(codes) == sorted(f"CODE-{i}" for i in range(10))
    for m, reply in zip(members, replies, strict=True):
        assert balance(tenant.read, m)["available"] == (400 if reply.status == 201 else 500)
    assert tenant.read.get("/rewards/coffee").data["stock"] == {"total": 10, "available": 0, "issued": 10}
    assert_ledger_clean(tenant.tenant_id)


def test_one_member_with_points_for_5_sends_20_redemptions(local_api, tenant):
    activity(tenant.admin, "grant", points=500)
    ok(
        201,
        tenant.admin.post(
            "/rewards",
            {"rewardId": "coffee", "name": "Coffee", "pointsCost": 100, "fulfillment": "coupon", "isActive": True},
        ),
    )
    ok(200, tenant.admin.post("/rewards/coffee/codes", {"codes": [f"CODE-{i}" for i in range(50)]}))
    m = member(tenant.integration, "rich@example.com")
    award(tenant.integration, m, "grant")
    replies = at_once(
        local_api, 20, lambda i: tenant.integration.post(f"/members/{m}/redemptions", {"rewardId": "coffee"})
    )
    outcome = Counter((r.status, r.code) for r in replies)
    assert outcome == {(201, None): 5, (409, "insufficient_points"): 15}, outcome
    assert len({r.data["couponCode"] for r in replies if r.status == 201}) == 5
    assert balance(tenant.read, m)["available"] == 0
    assert tenant.read.get("/rewards/coffee").data["stock"] == {"total": 50, "available": 45, "issued": 5}
    assert_ledger_clean(tenant.tenant_id)
