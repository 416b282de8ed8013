"""Rewards over the local API: catalog, code pools, redemptions, complete, cancel with and without refund."""

from tests.support.ledger import activity, assert_ledger_clean, award, balance, member
from tests.support.local import ok


def reward(tenant, reward_id, **fields):
    body = {
        "rewardId": reward_id,
        "name": reward_id.title(),
        "pointsCost": 100,
        "fulfillment": "coupon",
        "isActive": True,
        **fields,
    }
    reply = tenant.admin.post("/rewards", body)
    assert reply.status == 201, reply.text
    return reply.data


def funded_member(tenant, email, points):
    if tenant.read.get("/activities/grant").status == 404:
        activity(tenant.admin, "grant", points=1)
    m = member(tenant.integration, email)
    assert award(tenant.integration, m, "grant", points=points).status == 201
    return m


def redeem(tenant, m, reward_id, **kw):
    return tenant.integration.post(f"/members/{m}/redemptions", {"rewardId": reward_id}, **kw)


def test_catalog_create_read_list_update(tenant):
    created = reward(tenant, "coffee", value="5.00", couponExpiry="2027-06-30")
    assert created["stock"] == {"total": 0, "available": 0, "issued": 0} and created["currency"] == "USD"
    assert (
        tenant.admin.post(
            "/rewards", {"rewardId": "coffee", "name": "x", "pointsCost": 1, "fulfillment": "coupon", "isActive": True}
        ).code
        == "duplicate"
    )
    reward(tenant, "mug", fulfillment="manual", pointsCost=300)
    for i in range(5):
        reward(tenant, f"r{i}", isActive=i % 2 == 0)
    seen, token = [], None
    while True:
        reply = tenant.read.get("/rewards?limit=2" + (f"&nextToken={token}" if token else ""))
        assert reply.status == 200, reply.text
        assert all(set(r["stock"]) == {"total", "available", "issued"} for r in reply.data)
        seen += [r["rewardId"] for r in reply.data]
        token = reply.json["nextToken"]
        if not token:
            break
    assert seen == ["coffee", "mug", "r0", "r1", "r2", "r3", "r4"]
    inactive = [r["rewardId"] for r in tenant.read.get("/rewards?isActive=false&limit=100").data]
    assert inactive == ["r1", "r3"]
    assert tenant.admin.patch("/rewards/mug", {"tierIds": ["gold"]}).status == 400  # not a tier of the program
    ok(200, tenant.admin.patch("/program", {"tiers": [{"tierId": "gold", "name": "Gold", "threshold": 100}]}))
    updated = tenant.admin.patch("/rewards/mug", {"pointsCost": 250, "tierIds": ["gold"]})
    assert updated.status == 200 and updated.data["pointsCost"] == 250 and updated.data["stock"]["total"] is None
    assert tenant.read.get("/rewards/mug").data == updated.data
    assert tenant.read.get("/rewards/nope").status == 404
    assert tenant.integration.post("/rewards", {"rewardId": "x"}).status == 403


def test_codes_are_added_once_and_counted(tenant):
    reward(tenant, "coffee")
    first = tenant.admin.post("/rewards/coffee/codes", {"codes": ["A1", "A2", "A3", "A2"]})
    assert first.status == 200, first.text
    assert (first.data["added"], first.data["skipped"]) == (3, 1)
    assert first.data["stock"] == {"total": 3, "available": 3, "issued": 0}
    again = tenant.admin.post("/rewards/coffee/codes", {"codes": ["A3", "B1"]}).data
    assert (again["added"], again["skipped"], again["stock"]["total"]) == (1, 1, 4)
    many = [f"C{i:04d}" for i in range(1000)]
    bulk = tenant.admin.post("/rewards/coffee/codes", {"codes": many}).data
    assert (bulk["added"], bulk["stock"]["available"]) == (1000, 1004)
    assert tenant.admin.post("/rewards/coffee/codes", {"codes": [*many, "x"]}).status == 400  # over 1,000
    reward(tenant, "mug", fulfillment="manual")
    assert tenant.admin.post("/rewards/mug/codes", {"codes": ["M1"]}).code == "invalid_state"
    keyed = {"Idempotency-Key": "codes-1"}
    one = tenant.admin.post("/rewards/coffee/codes", {"codes": ["K1"]}, headers=keyed)
    two = tenant.admin.post("/rewards/coffee/codes", {"codes": ["K1"]}, headers=keyed)
    assert two.text == one.text and two.headers["idempotent-replayed"] == "true"
    assert_ledger_clean(tenant.tenant_id)


def test_a_coupon_redemption_takes_points_and_one_code(tenant):
    reward(tenant, "coffee", value="5.00", couponExpiry="2027-06-30")
    ok(200, tenant.admin.post("/rewards/coffee/codes", {"codes": ["A1", "A2"]}))
    m = funded_member(tenant, "a@example.com", 250)
    first = redeem(tenant, m, "coffee")
    assert first.status == 201, first.text
    data = first.data
    assert data["status"] == "issued" and data["couponCode"] in {"A1", "A2"} and data["points"] == 100
    assert data["couponExpiry"] == "2027-06-30" and data["value"] == "5.00"
    tx = tenant.read.get(f"/transactions/{data['transactionId']}").data
    assert (tx["type"], tx["points"], tx["redemptionId"]) == ("redeem", 100, data["redemptionId"])
    assert balance(tenant.read, m)["available"] == 150 and balance(tenant.read, m)["redeemed"] == 100
    second = redeem(tenant, m, "coffee").data
    assert {data["couponCode"], second["couponCode"]} == {"A1", "A2"}
    broke = redeem(tenant, m, "coffee")
    assert broke.code == "insufficient_points"
    rich = funded_member(tenant, "b@example.com", 1000)
    empty = redeem(tenant, rich, "coffee")
    assert empty.status == 409 and empty.code == "out_of_stock"
    assert balance(tenant.read, rich)["available"] == 1000
    assert tenant.read.get("/rewards/coffee").data["stock"] == {"total": 2, "available": 0, "issued": 2}
    readded = tenant.admin.post("/rewards/coffee/codes", {"codes": ["A1", "A2"]}).data  # handed out: never again
    assert (readded["added"], readded["skipped"], readded["stock"]["available"]) == (0, 2, 0)
    assert redeem(tenant, m, "nope").status == 404
    assert_ledger_clean(tenant.tenant_id)


def test_rules_active_tier_and_per_member_limit(tenant):
    ok(
        200,
        tenant.admin.patch(
            "/program",
            {
                "tiers": [
                    {"tierId": "base", "name": "Base", "threshold": 0},
                    {"tierId": "gold", "name": "Gold", "threshold": 1000},
                ]
            },
        ),
    )
    reward(tenant, "lounge", fulfillment="manual", tierIds=["gold"])
    reward(tenant, "sticker", fulfillment="manual", pointsCost=10, maxPerMember=2)
    reward(tenant, "old", fulfillment="manual", isActive=False)
    m = funded_member(tenant, "c@example.com", 500)
    assert redeem(tenant, m, "old").code == "reward_inactive"
    assert redeem(tenant, m, "lounge").code == "not_eligible"
    ok(200, tenant.admin.patch(f"/members/{m}", {"tierOverride": "gold"}))
    assert redeem(tenant, m, "lounge").status == 201
    assert redeem(tenant, m, "sticker").status == 201
    kept = redeem(tenant, m, "sticker").data
    assert redeem(tenant, m, "sticker").code == "frequency_limit_reached"
    ok(200, tenant.admin.post(f"/redemptions/{kept['redemptionId']}/cancel", {"reason": "lost"}))
    assert redeem(tenant, m, "sticker").status == 201  # a cancelled one no longer counts
    ok(200, tenant.integration.patch(f"/members/{m}", {"status": "suspended"}))
    assert redeem(tenant, m, "sticker").code == "invalid_state"
    assert_ledger_clean(tenant.tenant_id)


def test_manual_fulfilment_complete_and_cancel_moves(tenant):
    reward(tenant, "mug", fulfillment="manual", pointsCost=300)
    m = funded_member(tenant, "d@example.com", 1000)
    made = redeem(tenant, m, "mug").data
    assert made["status"] == "pending" and made["couponCode"] is None
    path = f"/redemptions/{made['redemptionId']}"
    assert tenant.integration.post(f"{path}/complete").status == 403
    done = tenant.admin.post(f"{path}/complete")
    assert done.status == 200 and done.data["status"] == "completed"
    assert tenant.admin.post(f"{path}/complete").code == "invalid_state"
    assert tenant.admin.post(f"{path}/cancel", {"reason": "x"}).code == "invalid_state"
    other = redeem(tenant, m, "mug").data
    cancelled = tenant.admin.post(f"/redemptions/{other['redemptionId']}/cancel", {"reason": "out of mugs"})
    assert cancelled.status == 200 and cancelled.data["status"] == "cancelled"
    refund = tenant.read.get(f"/transactions/{cancelled.data['refundTransactionId']}").data
    assert (refund["type"], refund["points"]) == ("refund", 300)
    assert balance(tenant.read, m)["available"] == 700 and balance(tenant.read, m)["redeemed"] == 300
    assert tenant.admin.post(f"/redemptions/{other['redemptionId']}/complete").code == "invalid_state"
    assert tenant.admin.post("/redemptions/01ARZ3NDEKTSV4RRFFQ69G5FAV/complete").status == 404
    assert_ledger_clean(tenant.tenant_id)


def test_cancel_without_refund_keeps_the_points_spent_and_the_code_issued(tenant):
    reward(tenant, "coffee")
    ok(200, tenant.admin.post("/rewards/coffee/codes", {"codes": ["A1"]}))
    m = funded_member(tenant, "e@example.com", 100)
    made = redeem(tenant, m, "coffee").data
    cancelled = tenant.admin.post(f"/redemptions/{made['redemptionId']}/cancel", {"reason": "fraud", "refund": False})
    assert cancelled.data["refundTransactionId"] is None and cancelled.data["cancelReason"] == "fraud"
    assert balance(tenant.read, m)["available"] == 0
    assert tenant.read.get("/rewards/coffee").data["stock"] == {"total": 1, "available": 0, "issued": 1}
    assert_ledger_clean(tenant.tenant_id)


def test_redemption_lists(tenant, local_api):
    reward(tenant, "mug", fulfillment="manual", pointsCost=10)
    m = funded_member(tenant, "f@example.com", 100)
    other = funded_member(tenant, "g@example.com", 100)
    made = [redeem(tenant, m, "mug").data["redemptionId"] for _ in range(3)]
    redeem(tenant, other, "mug")
    ok(200, tenant.admin.post(f"/redemptions/{made[0]}/complete"))
    assert [r["redemptionId"] for r in tenant.read.get(f"/members/{m}/redemptions").data] == made[::-1]
    assert [r["redemptionId"] for r in tenant.read.get(f"/members/{m}/redemptions?status=completed").data] == made[:1]
    assert len(tenant.read.get("/redemptions?status=pending").data) == 3
    assert tenant.read.get("/members/01ARZ3NDEKTSV4RRFFQ69G5FAV/redemptions").status == 404
    assert tenant.read.get(f"/redemptions/{made[1]}").data["status"] == "pending"
    assert local_api.new_tenant().read.get(f"/redemptions/{made[1]}").status == 404
