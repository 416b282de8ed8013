"""The points ledger over the local API: activities, awards, caps, approvals, deductions, expiry, tiers."""

from datetime import UTC, datetime, time

import pytest
from loyalty.services import jobs

from tests.support.boundaries import CROSSING_IDS, CROSSINGS, INTERVALS
from tests.support.frozen_clock import frozen_at
from tests.support.ledger import activity, assert_ledger_clean, award, balance, member, outcome
from tests.support.local import ok

START = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    yield from frozen_at(START)


def test_activities_crud_and_validation(tenant):
    created = activity(tenant.admin, "signup", points=50, description="Joined")
    assert created["type"] == "fixed" and created["approvalMethod"] == "immediate" and created["isActive"]
    again = tenant.admin.post("/activities", {"activityId": "signup", "name": "Other"})
    assert again.status == 409 and again.code == "duplicate"
    half_cap = tenant.admin.post("/activities", {"activityId": "x", "name": "X", "maxAwardFrequency": 2})
    assert half_cap.status == 400
    assert tenant.integration.post("/activities", {"activityId": "y", "name": "Y"}).status == 403
    updated = tenant.admin.patch("/activities/signup", {"isActive": False, "points": 75})
    assert updated.status == 200 and updated.data["points"] == 75 and not updated.data["isActive"]
    assert tenant.read.get("/activities/signup").data == updated.data
    activity(tenant.admin, "review")
    assert [a["activityId"] for a in tenant.read.get("/activities").data] == ["review", "signup"]
    assert [a["activityId"] for a in tenant.read.get("/activities?isActive=false").data] == ["signup"]
    assert tenant.read.get("/activities/nope").status == 404
    assert tenant.admin.patch("/program", {"saleActivityId": "nope"}).status == 400
    assert tenant.admin.patch("/program", {"saleActivityId": "review"}).status == 200


def test_fixed_and_multiplier_awards(tenant):
    activity(tenant.admin, "signup", points=50, qualifiedPoints=False)
    activity(tenant.admin, "spend", type="multiplier", multiplier=1.5)
    m = member(tenant.integration, "a@example.com")
    first = award(tenant.integration, m, "signup", reason="welcome")
    assert first.status == 201, first.text
    tx = first.data
    assert (tx["type"], tx["points"], tx["status"], tx["activityName"]) == ("award", 50, "approved", "Signup")
    assert tx["balanceAfter"] == {"available": 50, "pending": 0} and tx["expiresAt"] is None
    assert award(tenant.integration, m, "signup", points=7).data["points"] == 7
    assert award(tenant.integration, m, "spend").status == 400  # a multiplier needs its base value
    assert award(tenant.integration, m, "spend", points=11).data["points"] == 16  # floor(11 * 1.5)
    assert balance(tenant.read, m) == {
        "available": 73,
        "pending": 0,
        "redeemed": 0,
        "expired": 0,
        "lifetime": 73,
        "qualified": 16,
    }
    assert award(tenant.integration, m, "missing").status == 404
    assert award(tenant.integration, "01ARZ3NDEKTSV4RRFFQ69G5FAV", "signup").status == 404
    ok(200, tenant.admin.patch("/activities/signup", {"isActive": False}))
    inactive = award(tenant.integration, m, "signup")
    assert inactive.status == 409 and inactive.code == "activity_inactive"
    assert_ledger_clean(tenant.tenant_id)


@pytest.mark.parametrize(("last_day", "turned"), CROSSINGS, ids=CROSSING_IDS)
def test_frequency_caps_are_calendar_windows(tenant, frozen, last_day, turned):
    """Caps of 1 per day, week, month, year and lifetime: all used at the first second of `last_day` and
    still used at its last second; one second later exactly the windows that turned are fresh again."""
    for interval in INTERVALS:
        activity(tenant.admin, interval, maxAwardFrequency=1, maxAwardFrequencyInterval=interval)
    m = member(tenant.integration, "c@example.com")

    def awards() -> dict[str, str | int]:
        return {interval: outcome(award(tenant.integration, m, interval)) for interval in INTERVALS}

    capped = dict.fromkeys(INTERVALS, "frequency_limit_reached")
    frozen.current = datetime.combine(last_day, time(0, 0), UTC)
    assert awards() == dict.fromkeys(INTERVALS, 201)
    frozen.current = datetime.combine(last_day, time(23, 59, 59), UTC)
    assert awards() == capped
    frozen.advance(seconds=1)
    assert awards() == {interval: 201 if interval in turned else "frequency_limit_reached" for interval in INTERVALS}
    assert awards() == capped  # the new windows count from their first award
    assert_ledger_clean(tenant.tenant_id)


def test_lifetime_cap_and_order_id_earns_once_per_activity(tenant):
    activity(tenant.admin, "birthday", maxAwardFrequency=1, maxAwardFrequencyInterval="lifetime")
    activity(tenant.admin, "purchase")
    m = member(tenant.integration, "d@example.com")
    assert award(tenant.integration, m, "birthday").status == 201
    assert award(tenant.integration, m, "birthday").code == "frequency_limit_reached"
    assert award(tenant.integration, m, "purchase", orderId="o-1").status == 201
    again = award(tenant.integration, m, "purchase", orderId="o-1")
    assert again.status == 409 and again.code == "duplicate"
    other = member(tenant.integration, "e@example.com")
    assert award(tenant.integration, other, "purchase", orderId="o-1").code == "duplicate"
    assert award(tenant.integration, m, "birthday", orderId="o-1").code == "frequency_limit_reached"


def test_manual_approval_and_rejection(tenant):
    activity(tenant.admin, "photo", points=30, approvalMethod="manual")
    m = member(tenant.integration, "f@example.com")
    pending = award(tenant.integration, m, "photo").data
    assert pending["status"] == "pending" and pending["autoApprovalDate"] is None
    assert balance(tenant.read, m)["pending"] == 30
    path = f"/transactions/{pending['transactionId']}"
    assert tenant.integration.post(f"{path}/approve").status == 403
    approved = tenant.admin.post(f"{path}/approve")
    assert approved.status == 200 and approved.data["status"] == "approved" and approved.data["approvedAt"]
    assert tenant.admin.post(f"{path}/approve").code == "invalid_state"
    assert tenant.admin.post(f"{path}/reject", {"reason": "late"}).code == "invalid_state"
    second = award(tenant.integration, m, "photo").data
    assert tenant.admin.post(f"/transactions/{second['transactionId']}/reject").status == 400  # reason required
    rejected = tenant.admin.post(f"/transactions/{second['transactionId']}/reject", {"reason": "blurry"})
    assert rejected.status == 200 and rejected.data["status"] == "rejected"
    assert balance(tenant.read, m) | {} == {
        "available": 30,
        "pending": 0,
        "redeemed": 0,
        "expired": 0,
        "lifetime": 30,
        "qualified": 30,
    }
    assert tenant.admin.post("/transactions/01ARZ3NDEKTSV4RRFFQ69G5FAV/approve").status == 404
    assert_ledger_clean(tenant.tenant_id)


def test_delayed_awards_are_auto_approved_by_the_job(tenant, frozen):
    ok(200, tenant.admin.patch("/program", {"pendingDays": 14}))
    activity(tenant.admin, "purchase", points=100, approvalMethod="delayed")
    m = member(tenant.integration, "g@example.com")
    delayed = award(tenant.integration, m, "purchase").data
    assert delayed["status"] == "pending" and delayed["autoApprovalDate"] == "2026-03-24T12:00:00Z"
    frozen.advance(days=13)
    assert jobs.approve_delayed(tenant_ids=[tenant.tenant_id]) == {"approved": 0, "complete": True}
    frozen.advance(days=1)
    assert jobs.approve_delayed(tenant_ids=[tenant.tenant_id]) == {"approved": 1, "complete": True}
    assert jobs.approve_delayed(tenant_ids=[tenant.tenant_id]) == {"approved": 0, "complete": True}  # idempotent
    entry = tenant.read.get(f"/transactions/{delayed['transactionId']}").data
    assert entry["status"] == "auto_approved" and entry["approvedAt"] == "2026-03-24T12:00:00Z"
    assert balance(tenant.read, m)["available"] == 100
    assert_ledger_clean(tenant.tenant_id)


def test_deductions_never_go_below_zero_and_suspended_members_cannot_move_points(tenant):
    activity(tenant.admin, "signup", points=40)
    m = member(tenant.integration, "h@example.com")
    award(tenant.integration, m, "signup")
    assert tenant.integration.post(f"/members/{m}/deductions", {"points": 10}).status == 400  # reason required
    assert tenant.integration.post(f"/members/{m}/deductions", {"points": 0, "reason": "x"}).status == 400
    short = tenant.integration.post(f"/members/{m}/deductions", {"points": 41, "reason": "too much"})
    assert short.status == 409 and short.code == "insufficient_points"
    done = tenant.integration.post(f"/members/{m}/deductions", {"points": 40, "reason": "all"})
    assert done.status == 201 and done.data["balanceAfter"] == {"available": 0, "pending": 0}
    ok(200, tenant.integration.patch(f"/members/{m}", {"status": "suspended"}))
    assert award(tenant.integration, m, "signup").code == "invalid_state"
    assert tenant.integration.post(f"/members/{m}/deductions", {"points": 1, "reason": "x"}).code == "invalid_state"
    assert_ledger_clean(tenant.tenant_id)


def test_points_expire_by_lot_and_spending_draws_the_soonest_lots(tenant, frozen):
    ok(200, tenant.admin.patch("/program", {"pointsExpiryDays": 30}))
    activity(tenant.admin, "visit", points=100)
    m = member(tenant.integration, "i@example.com")
    first = award(tenant.integration, m, "visit").data  # lot A: last day 2026-04-09
    assert first["expiresAt"] == "2026-04-09T23:59:59Z"
    frozen.advance(days=10)
    award(tenant.integration, m, "visit")  # lot B: last day 2026-04-19
    ok(201, tenant.integration.post(f"/members/{m}/deductions", {"points": 60, "reason": "spend"}))  # draws from A
    summary = tenant.read.get(f"/members/{m}/summary").data
    assert summary["expirationSchedule"] == [
        {"date": "2026-04-09", "points": 40},
        {"date": "2026-04-19", "points": 100},
    ]
    frozen.current = datetime(2026, 4, 9, 23, 0, tzinfo=UTC)
    assert jobs.expire_points(tenant_ids=[tenant.tenant_id])["points"] == 0  # A's last day is not over yet
    frozen.current = datetime(2026, 4, 10, 0, 5, tzinfo=UTC)
    assert jobs.expire_points(tenant_ids=[tenant.tenant_id]) == {"lots": 1, "points": 40, "complete": True}
    assert jobs.expire_points(tenant_ids=[tenant.tenant_id]) == {"lots": 0, "points": 0, "complete": True}  # idempotent
    assert balance(tenant.read, m) | {} == {
        "available": 100,
        "pending": 0,
        "redeemed": 0,
        "expired": 40,
        "lifetime": 200,
        "qualified": 200,
    }
    expired = tenant.read.get(f"/members/{m}/transactions?type=expire").data
    assert [(t["points"], t["status"]) for t in expired] == [(40, "approved")]
    ok(201, tenant.integration.post(f"/members/{m}/deductions", {"points": 100, "reason": "spend all"}))
    frozen.current = datetime(2026, 5, 1, tzinfo=UTC)
    # spent: nothing expires
    assert jobs.expire_points(tenant_ids=[tenant.tenant_id]) == {"lots": 1, "points": 0, "complete": True}
    assert tenant.read.get(f"/members/{m}/summary").data["expirationSchedule"] == []
    assert_ledger_clean(tenant.tenant_id)


def test_tiers_summary_and_override(tenant, frozen):
    ok(
        200,
        tenant.admin.patch(
            "/program",
            {
                "tiers": [
                    {"tierId": "silver", "name": "Silver", "threshold": 0},
                    {"tierId": "gold", "name": "Gold", "threshold": 500},
                    {"tierId": "vip", "name": "VIP", "threshold": 2000},
                ]
            },
        ),
    )
    activity(tenant.admin, "buy", points=300)
    activity(tenant.admin, "bonus", points=1000, qualifiedPoints=False)
    m = member(tenant.integration, "j@example.com")
    award(tenant.integration, m, "bonus")
    summary = tenant.read.get(f"/members/{m}/summary").data
    assert summary["tier"] == {"tierId": "silver", "name": "Silver"}
    assert summary["nextTier"] == {"tierId": "gold", "name": "Gold"} and summary["pointsToNextTier"] == 500
    award(tenant.integration, m, "buy")
    frozen.advance(hours=1)
    award(tenant.integration, m, "buy")
    summary = tenant.read.get(f"/members/{m}/summary").data
    assert summary["tier"]["tierId"] == "gold" and summary["pointsToNextTier"] == 1400
    assert summary["lastAward"] == {"date": "2026-03-10T13:00:00Z", "points": 300, "activityName": "Buy"}
    ok(200, tenant.admin.patch(f"/members/{m}", {"tierOverride": "vip"}))
    assert tenant.read.get(f"/members/{m}").data["tier"] == {"tierId": "vip", "name": "VIP"}
    assert tenant.read.get("/members/01ARZ3NDEKTSV4RRFFQ69G5FAV/summary").status == 404


def test_transaction_lists_filter_and_page_newest_first(tenant, local_api):
    activity(tenant.admin, "visit", points=5)
    activity(tenant.admin, "manual", approvalMethod="manual")
    m, other = member(tenant.integration, "k@example.com"), member(tenant.integration, "l@example.com")
    made = [award(tenant.integration, m, "visit").data["transactionId"] for _ in range(4)]
    pending = award(tenant.integration, m, "manual").data["transactionId"]
    award(tenant.integration, other, "visit")
    seen, token = [], None
    while True:
        reply = tenant.read.get(f"/members/{m}/transactions?limit=2" + (f"&nextToken={token}" if token else ""))
        assert reply.status == 200, reply.text
        seen += [t["transactionId"] for t in reply.data]
        token = reply.json["nextToken"]
        if not token:
            break
    assert seen == [pending, *reversed(made)]
    assert [t["transactionId"] for t in tenant.read.get(f"/members/{m}/transactions?status=pending").data] == [pending]
    assert len(tenant.read.get("/transactions?type=award&limit=100").data) == 6
    assert tenant.read.get("/transactions?from=2030-01-01T00:00:00Z").data == []
    assert tenant.read.get("/transactions?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z").status == 400
    assert tenant.read.get("/members/01ARZ3NDEKTSV4RRFFQ69G5FAV/transactions").status == 404
    stranger = local_api.new_tenant()
    assert stranger.read.get(f"/transactions/{pending}").status == 404
    assert stranger.admin.post(f"/transactions/{pending}/approve").status == 404
