"""State defects found by probing the running API (issue 10, defects 1, 2, 3, 6, 9), over the local API."""

from datetime import timedelta

import pytest
from loyalty.services import checker, jobs

from tests.support.ledger import activity, assert_ledger_clean, award, balance, member
from tests.support.local import ok


def _earning_program(tenant, **settings):
    tenant.admin.patch("/program", {"saleActivityId": None, **settings})
    activity(tenant.admin, "visit", points=10)
    activity(tenant.admin, "sale", type="multiplier", multiplier=1, isSaleActivity=True)
    assert tenant.admin.patch("/program", {"saleActivityId": "sale"}).status == 200
    tenant.admin.post(
        "/rewards", {"rewardId": "mug", "name": "Mug", "pointsCost": 5, "fulfillment": "manual", "isActive": True}
    )


# --- defect 1: a job removes what a member's record points at -------------------------------------


@pytest.mark.parametrize("job_runs_days_later", [31, 400])
def test_a_member_whose_last_lot_expired_can_earn_again(tenant, frozen, job_runs_days_later):
    _earning_program(tenant, pointsExpiryDays=30)
    m = member(tenant.integration, "lots@example.com")
    assert award(tenant.integration, m, "visit").status == 201  # one lot, last day 2026-05-31
    # `loyalty job expire-points --now ...`: the job deletes the member's last (and only) lot
    done = jobs.expire_points(now=frozen() + timedelta(days=job_runs_days_later), tenant_ids=[tenant.tenant_id])
    assert done == {"lots": 1, "points": 10, "complete": True}
    assert_ledger_clean(tenant.tenant_id)
    # every kind of credit works at once (the lot it would extend is gone), and expires as it should
    assert award(tenant.integration, m, "visit").status == 201
    order = tenant.integration.post("/orders", {"orderId": "o-1", "memberId": m, "total": "7.00"})
    assert order.status == 201, order.text
    redeemed = tenant.integration.post(f"/members/{m}/redemptions", {"rewardId": "mug"})
    assert redeemed.status == 201, redeemed.text
    cancelled = tenant.admin.post(f"/redemptions/{redeemed.data['redemptionId']}/cancel", {"reason": "x"})
    assert cancelled.status == 200, cancelled.text
    assert balance(tenant.read, m)["available"] == 17
    schedule = tenant.read.get(f"/members/{m}/summary").data["expirationSchedule"]
    assert schedule == [{"date": "2026-05-31", "points": 17}]
    assert_ledger_clean(tenant.tenant_id)
    frozen.advance(days=40)
    assert jobs.expire_points(tenant_ids=[tenant.tenant_id]) == {"lots": 1, "points": 17, "complete": True}
    assert award(tenant.integration, m, "visit").status == 201
    assert_ledger_clean(tenant.tenant_id)


def test_the_checker_reports_a_member_pointing_at_a_lot_that_is_gone(tenant, frozen):
    from loyalty.repository import lots, store

    _earning_program(tenant, pointsExpiryDays=30)
    m = member(tenant.integration, "dangling@example.com")
    award(tenant.integration, m, "visit")
    ok(201, tenant.integration.post(f"/members/{m}/deductions", {"points": 10, "reason": "spent"}))
    _, held = lots.member_with_lots(tenant.tenant_id, m)
    store.transact([lots.delete(tenant.tenant_id, m, held[0]["expiresOn"])])  # what the old job left behind
    problems = checker.check([tenant.tenant_id])["problems"]
    assert [p["field"] for p in problems] == ["lastLotExpiry"], problems
    assert problems[0]["memberId"] == m and "2026-05-31" in problems[0]["problem"]
    # crediting repairs it rather than stalling: the lot comes back where the record says it is
    assert award(tenant.integration, m, "visit").status == 201
    assert_ledger_clean(tenant.tenant_id)


# --- defect 2: unique fields follow one case rule on create, update and erase ---------------------


def test_external_id_is_exact_and_a_case_only_change_moves_its_guard(tenant):
    first = member(tenant.integration, "one@example.com")
    assert tenant.integration.patch(f"/members/{first}", {"externalId": "cust-1"}).status == 200
    changed = tenant.integration.patch(f"/members/{first}", {"externalId": "CUST-1"})
    assert changed.status == 200 and changed.data["externalId"] == "CUST-1"
    taken = tenant.integration.post("/members", {"email": "two@example.com", "externalId": "CUST-1"})
    assert taken.status == 409 and taken.code == "member_exists"
    assert [x["memberId"] for x in tenant.read.get("/members?externalId=CUST-1").data] == [first]
    assert tenant.read.get("/members?externalId=cust-1").data == []
    freed = tenant.integration.post("/members", {"email": "two@example.com", "externalId": "cust-1"})
    assert freed.status == 201, freed.text  # exact: cust-1 and CUST-1 are two ids, and cust-1 is free again
    second = freed.data["memberId"]
    assert tenant.integration.patch(f"/members/{second}", {"externalId": "CUST-1"}).code == "member_exists"
    assert tenant.admin.delete(f"/members/{first}").status == 200
    assert tenant.integration.patch(f"/members/{second}", {"externalId": "CUST-1"}).status == 200
    assert_ledger_clean(tenant.tenant_id)


def test_email_is_case_insensitive_through_a_case_only_change_and_erasure(tenant):
    first = member(tenant.integration, "Ada@Example.com")
    changed = tenant.integration.patch(f"/members/{first}", {"email": "ada@example.COM"})
    assert changed.status == 200 and changed.data["email"] == "ada@example.COM"
    for email in ("ADA@EXAMPLE.COM", "ada@example.com"):
        assert tenant.integration.post("/members", {"email": email}).code == "member_exists"
    assert [x["memberId"] for x in tenant.read.get("/members?email=ADA@example.com").data] == [first]
    assert tenant.admin.delete(f"/members/{first}").status == 200
    assert tenant.integration.post("/members", {"email": "ADA@example.com"}).status == 201
    assert_ledger_clean(tenant.tenant_id)


# --- defect 3: an erased member takes no further part ---------------------------------------------


def test_an_erased_member_can_no_longer_take_part_and_keeps_its_ledger(tenant):
    _earning_program(tenant)
    activity(tenant.admin, "photo", points=3, approvalMethod="manual")
    m = member(tenant.integration, "gone@example.com")
    award(tenant.integration, m, "visit")
    pending = award(tenant.integration, m, "photo").data["transactionId"]
    redeemed = tenant.integration.post(f"/members/{m}/redemptions", {"rewardId": "mug"}).data["redemptionId"]
    before = tenant.read.get(f"/members/{m}/transactions").data
    erased = tenant.admin.delete(f"/members/{m}")
    assert erased.status == 200 and erased.data["status"] == "erased" and erased.data["email"] is None
    refused = [
        award(tenant.integration, m, "visit"),
        tenant.integration.post(f"/members/{m}/deductions", {"points": 1, "reason": "x"}),
        tenant.integration.post("/orders", {"orderId": "o-9", "memberId": m, "total": "3.00"}),
        tenant.integration.post(f"/members/{m}/redemptions", {"rewardId": "mug"}),
        tenant.admin.post(f"/transactions/{pending}/approve"),
        tenant.admin.post(f"/redemptions/{redeemed}/cancel", {"reason": "x"}),  # a refund would credit
        tenant.integration.patch(f"/members/{m}", {"status": "active"}),
        tenant.integration.patch(f"/members/{m}", {"firstName": "Back"}),
    ]
    for reply in refused:
        assert reply.status == 409 and reply.code == "invalid_state", reply.text
    assert tenant.read.get("/orders/o-9").status == 404
    assert tenant.admin.post(f"/redemptions/{redeemed}/cancel", {"reason": "x", "refund": False}).status == 200
    assert tenant.admin.post(f"/transactions/{pending}/reject", {"reason": "erased"}).status == 200
    assert tenant.read.get(f"/members/{m}").data["status"] == "erased"
    assert tenant.admin.delete(f"/members/{m}").status == 200  # erasing again changes nothing
    assert [t["transactionId"] for t in tenant.read.get(f"/members/{m}/transactions").data][-len(before) :] == [
        t["transactionId"] for t in before
    ]
    assert_ledger_clean(tenant.tenant_id)


def test_delayed_awards_of_an_erased_member_are_not_approved_by_the_job(tenant, frozen):
    ok(200, tenant.admin.patch("/program", {"pendingDays": 1}))
    activity(tenant.admin, "later", points=7, approvalMethod="delayed")
    m = member(tenant.integration, "later@example.com")
    pending = award(tenant.integration, m, "later").data["transactionId"]
    ok(200, tenant.admin.delete(f"/members/{m}"))
    frozen.advance(days=2)
    jobs.approve_delayed(tenant_ids=[tenant.tenant_id])
    assert balance(tenant.read, m) == dict.fromkeys(balance(tenant.read, m), 0)
    entry = tenant.read.get(f"/transactions/{pending}").data
    assert entry["status"] == "rejected" and entry["reason"] == "the member was erased"
    assert jobs.approve_delayed(tenant_ids=[tenant.tenant_id]) == {"approved": 0, "complete": True}  # off the due list
    assert_ledger_clean(tenant.tenant_id)


# --- defect 6: a replay is served before anything is judged again ---------------------------------


def test_replays_are_served_whatever_changed_since(tenant):
    _earning_program(tenant)
    activity(tenant.admin, "grant", points=100)
    m = member(tenant.integration, "replay@example.com")
    calls = {
        "order": ("/orders", {"orderId": "o-1", "memberId": m, "total": "20.00"}),
        "award": (f"/members/{m}/awards", {"activityId": "visit"}),
        "grant": (f"/members/{m}/awards", {"activityId": "grant"}),
        "redeem": (f"/members/{m}/redemptions", {"rewardId": "mug"}),
        "deduct": (f"/members/{m}/deductions", {"points": 100, "reason": "all"}),
    }
    first = {}
    for name, (path, body) in calls.items():
        first[name] = tenant.integration.post(path, body, headers={"Idempotency-Key": f"k-{name}"})
        assert first[name].status == 201, (name, first[name].text)
    returned = tenant.integration.post("/orders/o-1/returns", {}, headers={"Idempotency-Key": "k-return"})
    assert returned.status == 201
    # the settings and state the first answers were judged on change
    ok(200, tenant.admin.patch("/program", {"saleActivityId": None}))
    ok(200, tenant.admin.patch("/activities/visit", {"isActive": False}))
    ok(200, tenant.admin.patch("/rewards/mug", {"isActive": False}))
    ok(200, tenant.admin.delete(f"/members/{m}"))
    for name, (path, body) in calls.items():
        again = tenant.integration.post(path, body, headers={"Idempotency-Key": f"k-{name}"})
        assert again.status == 201 and again.text == first[name].text, (name, again.text)
        assert again.headers.get("idempotent-replayed") == "true"
    again = tenant.integration.post("/orders/o-1/returns", {}, headers={"Idempotency-Key": "k-return"})
    assert again.status == 201 and again.text == returned.text
    # the natural key too: a recorded order is answered as it was (200), without any Idempotency-Key
    recorded = tenant.integration.post("/orders", calls["order"][1])
    assert recorded.status == 200 and recorded.data["pointsAwarded"] == first["order"].data["pointsAwarded"]
    assert recorded.data["returnedAmount"] == "20.00"  # the order as it stands, not a second one
    other = tenant.integration.post(
        "/orders", {"orderId": "o-2", "memberId": m, "total": "1.00"}, headers={"Idempotency-Key": "k-order"}
    )
    assert other.status == 422 and other.code == "idempotency_key_reused"


# --- defect 9: catalog rules -----------------------------------------------------------------------


def test_a_coupon_reward_past_its_expiry_does_not_redeem(tenant, frozen):
    activity(tenant.admin, "grant", points=100)
    m = member(tenant.integration, "coupon@example.com")
    award(tenant.integration, m, "grant")
    body = {
        "rewardId": "c",
        "name": "C",
        "pointsCost": 10,
        "fulfillment": "coupon",
        "isActive": True,
        "couponExpiry": "2026-05-01",
    }
    assert tenant.admin.post("/rewards", body).status == 201
    ok(200, tenant.admin.post("/rewards/c/codes", {"codes": ["A", "B"]}))
    assert tenant.integration.post(f"/members/{m}/redemptions", {"rewardId": "c"}).status == 201  # its last day
    frozen.advance(days=1)
    late = tenant.integration.post(f"/members/{m}/redemptions", {"rewardId": "c"})
    assert late.status == 409 and late.code == "reward_inactive", late.text
    assert balance(tenant.read, m)["available"] == 90
    assert tenant.read.get("/rewards/c").data["stock"]["available"] == 1
    assert tenant.admin.patch("/rewards/c", {"couponExpiry": "2026-06-30"}).status == 200
    assert tenant.integration.post(f"/members/{m}/redemptions", {"rewardId": "c"}).status == 201
    assert_ledger_clean(tenant.tenant_id)


def test_tier_ids_must_name_tiers_of_the_program(tenant):
    tiers = [{"tierId": "silver", "name": "Silver", "threshold": 0}, {"tierId": "gold", "name": "Gold", "threshold": 9}]
    ok(200, tenant.admin.patch("/program", {"tiers": tiers}))
    bad = {
        "rewardId": "r",
        "name": "R",
        "pointsCost": 1,
        "fulfillment": "manual",
        "isActive": True,
        "tierIds": ["gold", "platinum"],
    }
    reply = tenant.admin.post("/rewards", bad)
    assert reply.status == 400 and reply.json["error"]["details"][0]["field"] == "tierIds[1]", reply.text
    assert tenant.read.get("/rewards/r").status == 404
    assert tenant.admin.post("/rewards", {**bad, "tierIds": ["gold"]}).status == 201
    assert tenant.admin.patch("/rewards/r", {"tierIds": ["bronze"]}).status == 400
    assert tenant.admin.patch("/rewards/r", {"tierIds": ["gold", "gold"]}).status == 400
    assert tenant.read.get("/rewards/r").data["tierIds"] == ["gold"]
    m = member(tenant.integration, "tier@example.com")
    assert tenant.admin.patch(f"/members/{m}", {"tierOverride": "platinum"}).status == 400
    # a tier still named by a reward can't be removed from the program
    removed = tenant.admin.patch("/program", {"tiers": tiers[:1]})
    assert removed.status == 409 and removed.code == "invalid_state", removed.text
    assert len(tenant.read.get("/program").data["tiers"]) == 2


def test_the_checker_reports_guards_and_orders_that_do_not_name_each_other(tenant):
    from loyalty.repository import members as members_db
    from loyalty.repository import orders as orders_db
    from loyalty.repository import store

    _earning_program(tenant)
    m = member(tenant.integration, "refs@example.com")
    other = member(tenant.integration, "other@example.com")
    ok(200, tenant.integration.patch(f"/members/{m}", {"externalId": "cust-9"}))
    ok(201, tenant.integration.post("/orders", {"orderId": "o-1", "memberId": m, "total": "3.00"}))
    assert_ledger_clean(tenant.tenant_id)
    store.transact([store.delete(members_db.email_guard(tenant.tenant_id, "refs@example.com"))])
    store.transact([store.put({**members_db.external_guard(tenant.tenant_id, "cust-9"), "memberId": other})])
    order_key = orders_db.key(tenant.tenant_id, "o-1")
    store.transact([store.update(order_key, set_values={"transactionIds": ["01NOTATRANSACTION000000000"]})])
    found = {(p["memberId"], p["field"]): p["problem"] for p in checker.check([tenant.tenant_id])["problems"]}
    assert found == {
        (m, "email"): "has no guard",
        (m, "externalId"): f"has the guard of member {other}",
        (m, "transactionIds"): "order o-1 names transaction 01NOTATRANSACTION000000000, which is not its own",
        (m, "pointsAwarded"): "order o-1: 3, its awards 0",
    }, found
