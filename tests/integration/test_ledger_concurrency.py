"""Concurrency over the local API (real threads, real HTTP): no double spend, no double award, caps hold."""

from collections import Counter

import pytest

from tests.support.concurrency import at_once
from tests.support.ledger import activity, assert_ledger_clean, award, balance, member
from tests.support.local import ok

pytestmark = pytest.mark.xdist_group("concurrency")


def test_100_one_point_deductions_against_60_points(local_api, tenant):
    activity(tenant.admin, "seed", points=60)
    m = member(tenant.integration, "a@example.com")
    assert award(tenant.integration, m, "seed").status == 201
    replies = at_once(
        local_api, 100, lambda i: tenant.integration.post(f"/members/{m}/deductions", {"points": 1, "reason": f"{i}"})
    )
    outcome = Counter((r.status, r.code) for r in replies)
    assert outcome == {(201, None): 60, (409, "insufficient_points"): 40}, outcome
    assert balance(tenant.read, m)["available"] == 0
    assert_ledger_clean(tenant.tenant_id)


def test_50_identical_awards_with_one_key_make_one_transaction(local_api, tenant):
    activity(tenant.admin, "visit", points=10)
    m = member(tenant.integration, "b@example.com")
    headers = {"Idempotency-Key": "visit-2026-11-22"}
    replies = at_once(
        local_api,
        50,
        lambda i: tenant.integration.post(f"/members/{m}/awards", {"activityId": "visit"}, headers=headers),
    )
    assert {r.status for r in replies} == {201}, Counter(r.status for r in replies)
    assert len({r.text for r in replies}) == 1  # the first response, byte for byte
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in replies) == 49
    assert len(tenant.read.get(f"/members/{m}/transactions").data) == 1
    assert balance(tenant.read, m)["available"] == 10
    assert_ledger_clean(tenant.tenant_id)


def test_20_awards_on_an_activity_capped_at_3_per_day(local_api, tenant):
    activity(tenant.admin, "checkin", points=5, maxAwardFrequency=3, maxAwardFrequencyInterval="day")
    m = member(tenant.integration, "c@example.com")
    replies = at_once(local_api, 20, lambda i: award(tenant.integration, m, "checkin"))
    outcome = Counter((r.status, r.code) for r in replies)
    assert outcome == {(201, None): 3, (409, "frequency_limit_reached"): 17}, outcome
    assert balance(tenant.read, m)["available"] == 15
    assert_ledger_clean(tenant.tenant_id)


def test_concurrent_returns_of_one_order_never_exceed_it(local_api, tenant):
    activity(tenant.admin, "sale", type="multiplier", multiplier=1)
    ok(200, tenant.admin.patch("/program", {"saleActivityId": "sale"}))
    m = member(tenant.integration, "d@example.com")
    assert tenant.integration.post("/orders", {"orderId": "o-1", "memberId": m, "total": "100.00"}).status == 201
    replies = at_once(
        local_api, 20, lambda i: tenant.integration.post("/orders/o-1/returns", {"returnedAmount": "10.00"})
    )
    outcome = Counter((r.status, r.code) for r in replies)
    assert outcome == {(201, None): 10, (409, "invalid_state"): 10}, outcome  # the 11th finds it returned in full
    assert tenant.read.get("/orders/o-1").data["pointsReturned"] == 100
    assert balance(tenant.read, m)["available"] == 0
    assert_ledger_clean(tenant.tenant_id)
