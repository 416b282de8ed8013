"""Reward grants over the local API (contract section 11): a reward given without points, as a redemption."""

from collections import Counter

import pytest

from tests.support.concurrency import at_once
from tests.support.ledger import activity, assert_ledger_clean, award, balance, member
from tests.support.local import ok, tenant_digest

COUPON = {"rewardId": "coffee", "name": "Coffee", "pointsCost": 100, "fulfillment": "coupon", "isActive": True}


def _coupon(client, codes, **fields):
    ok(201, client.post("/rewards", {**COUPON, **fields}))
    if codes:
        ok(200, client.post("/rewards/coffee/codes", {"codes": codes}))


def test_a_grant_is_a_redemption_of_0_points_with_who_and_why(tenant):
    _coupon(tenant.admin, ["C-1", "C-2"], tierIds=[], maxPerMember=1)
    m = member(tenant.integration, "g@example.com")
    reply = ok(
        201,
        tenant.admin.post(f"/members/{m}/reward-grants", {"rewardId": "coffee", "reason": "Late order"}),
    )
    granted = reply.data
    assert granted["points"] == 0 and granted["transactionId"] is None
    assert granted["grantedBy"] == tenant.keys["admin"]["keyId"] and granted["reason"] == "Late order"
    assert granted["couponCode"] in {"C-1", "C-2"} and granted["status"] == "issued"
    assert balance(tenant.read, m)["available"] == 0  # no points moved, none needed
    listed = tenant.read.get(f"/members/{m}/redemptions").data
    assert [r["redemptionId"] for r in listed] == [granted["redemptionId"]]
    assert listed[0]["grantedBy"] == granted["grantedBy"]
    assert tenant.read.get("/redemptions").data[0]["reason"] == "Late order"
    assert tenant.read.get("/rewards/coffee").data["stock"] == {"total": 2, "available": 1, "issued": 1}
    assert tenant.read.get(f"/members/{m}/transactions").data == []
    # a grant counts toward no maxPerMember: the member may still redeem its one paid redemption
    activity(tenant.admin, "bonus", points=100)
    ok(201, award(tenant.integration, m, "bonus"))
    ok(201, tenant.integration.post(f"/members/{m}/redemptions", {"rewardId": "coffee"}))
    assert (
        tenant.integration.post(f"/members/{m}/redemptions", {"rewardId": "coffee"}).code == "frequency_limit_reached"
    )
    assert_ledger_clean(tenant.tenant_id)


def test_cancel_of_a_grant_refunds_nothing_and_counts_nothing_back(tenant):
    ok(201, tenant.admin.post("/rewards", {**COUPON, "fulfillment": "manual", "maxPerMember": 1}))
    m = member(tenant.integration, "c@example.com")
    granted = ok(201, tenant.admin.post(f"/members/{m}/reward-grants", {"rewardId": "coffee", "reason": "x"})).data
    assert granted["status"] == "pending" and granted["couponCode"] is None
    cancelled = ok(
        200, tenant.admin.post(f"/redemptions/{granted['redemptionId']}/cancel", {"reason": "oops", "refund": True})
    ).data
    assert cancelled["status"] == "cancelled" and cancelled["refundTransactionId"] is None
    assert tenant.read.get(f"/members/{m}/transactions").data == []
    second = ok(201, tenant.admin.post(f"/members/{m}/reward-grants", {"rewardId": "coffee", "reason": "y"})).data
    ok(200, tenant.admin.post(f"/redemptions/{second['redemptionId']}/complete"))
    assert tenant.read.get("/rewards/coffee").data["stock"]["issued"] == 2
    assert_ledger_clean(tenant.tenant_id)


def test_refusals_and_nothing_stored(tenant, local_api):
    m = member(tenant.integration, "r@example.com")
    _coupon(tenant.admin, [], isActive=False)
    before = tenant_digest(tenant.tenant_id)
    grant = {"rewardId": "coffee", "reason": "x"}
    assert tenant.admin.post(f"/members/{m}/reward-grants", grant).code == "reward_inactive"
    ok(200, tenant.admin.patch("/rewards/coffee", {"isActive": True}))
    before = tenant_digest(tenant.tenant_id)
    assert tenant.admin.post(f"/members/{m}/reward-grants", grant).code == "out_of_stock"
    assert tenant.admin.post("/members/nobody/reward-grants", grant).status == 404
    assert tenant.admin.post(f"/members/{m}/reward-grants", {**grant, "rewardId": "nope"}).status == 404
    for bad in ({"rewardId": "coffee"}, {**grant, "reason": ""}, {**grant, "points": 0}, {**grant, "reason": 5}):
        assert tenant.admin.post(f"/members/{m}/reward-grants", bad).code == "validation_error", bad
    # scope: a grant is an admin's decision
    assert tenant.integration.post(f"/members/{m}/reward-grants", grant).status == 403
    assert tenant.read.post(f"/members/{m}/reward-grants", grant).status == 403
    # another tenant's member and reward are not found
    other = local_api.new_tenant()
    assert other.admin.post(f"/members/{m}/reward-grants", grant).status == 404
    assert tenant_digest(tenant.tenant_id) == before
    # suspended member
    ok(200, tenant.integration.patch(f"/members/{m}", {"status": "suspended"}))
    ok(200, tenant.admin.post("/rewards/coffee/codes", {"codes": ["Z-1"]}))
    assert tenant.admin.post(f"/members/{m}/reward-grants", grant).code == "invalid_state"


def test_idempotency_key_replays_a_grant(tenant):
    _coupon(tenant.admin, ["A-1", "A-2"])
    m = member(tenant.integration, "i@example.com")
    headers = {"Idempotency-Key": "grant-1"}
    body = {"rewardId": "coffee", "reason": "x"}
    first = ok(201, tenant.admin.post(f"/members/{m}/reward-grants", body, headers=headers))
    again = ok(201, tenant.admin.post(f"/members/{m}/reward-grants", body, headers=headers))
    assert again.text == first.text and again.headers.get("idempotent-replayed") == "true"
    assert tenant.admin.post(f"/members/{m}/reward-grants", {**body, "reason": "y"}, headers=headers).status == 422
    assert tenant.read.get("/rewards/coffee").data["stock"]["issued"] == 1


@pytest.mark.xdist_group("concurrency")
def test_grants_race_redemptions_for_the_last_codes(local_api, tenant):
    activity(tenant.admin, "bonus", points=100)
    _coupon(tenant.admin, [f"L-{i}" for i in range(5)])
    members = [member(tenant.integration, f"race{i}@example.com") for i in range(20)]
    for m in members[::2]:
        ok(201, award(tenant.integration, m, "bonus"))

    def call(i):
        if i % 2 == 0:
            return tenant.integration.post(f"/members/{members[i]}/redemptions", {"rewardId": "coffee"})
        return tenant.admin.post(f"/members/{members[i]}/reward-grants", {"rewardId": "coffee", "reason": "race"})

    replies = at_once(local_api, 20, call)
    outcome = Counter((r.status, r.code) for r in replies)
    assert outcome[(201, None)] == 5 and outcome[(409, "out_of_stock")] == 15, outcome
    codes = [r.data["couponCode"] for r in replies if r.status == 201]
    assert sorted(codes) == [f"L-{i}" for i in range(5)]
    for i, reply in enumerate(replies):
        if i % 2 == 0:  # a paid redemption that lost kept its points
            assert balance(tenant.read, members[i])["available"] == (0 if reply.status == 201 else 100)
    assert tenant.read.get("/rewards/coffee").data["stock"] == {"total": 5, "available": 0, "issued": 5}
    assert_ledger_clean(tenant.tenant_id)
