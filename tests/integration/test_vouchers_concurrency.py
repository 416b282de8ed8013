"""Vouchers under real concurrency over the local API: redeemed once, one of redeem/cancel wins, limits hold."""

from collections import Counter

import pytest

from tests.support.concurrency import at_once
from tests.support.ledger import assert_ledger_clean
from tests.support.vouchers import issue, issued, offer

pytestmark = pytest.mark.xdist_group("concurrency")


def test_one_voucher_redeemed_by_50_callers_at_once(local_api, tenant):
    voucher = issued(tenant.integration, offer(tenant.admin))
    refs = [voucher["redemptionCode"], voucher["voucherId"]]  # point-of-sale lookups by code and by id
    replies = at_once(
        local_api, 50, lambda i: tenant.integration.post(f"/vouchers/{refs[i % 2]}/redeem", {"orderId": f"o-{i}"})
    )
    outcome = Counter((r.status, r.code) for r in replies)
    assert outcome == {(200, None): 1, (409, "already_redeemed"): 49}, outcome
    winner = next(r.data for r in replies if r.status == 200)
    assert tenant.read.get(f"/vouchers/{voucher['voucherId']}").data == winner
    assert_ledger_clean(tenant.tenant_id)


def test_redeem_and_cancel_of_the_same_voucher_at_once_exactly_one_wins(local_api, tenant):
    offer_id = offer(tenant.admin)
    vouchers = [issued(tenant.integration, offer_id) for _ in range(10)]
    calls = [(v["voucherId"], action) for v in vouchers for action in ("redeem", "cancel")]
    replies = at_once(
        local_api, len(calls), lambda i: tenant.integration.post(f"/vouchers/{calls[i][0]}/{calls[i][1]}")
    )
    for k, voucher in enumerate(vouchers):
        redeem, cancel = replies[2 * k], replies[2 * k + 1]
        final = tenant.read.get(f"/vouchers/{voucher['voucherId']}").data["status"]
        if redeem.status == 200:
            assert (cancel.status, cancel.code, final) == (409, "already_redeemed", "redeemed"), cancel.text
        else:
            assert (redeem.status, redeem.code, cancel.status, final) == (409, "voucher_cancelled", 200, "cancelled")
    assert_ledger_clean(tenant.tenant_id)


def test_an_offer_limited_to_20_vouchers_with_60_issue_calls_at_once(local_api, tenant):
    offer_id = offer(tenant.admin, maxRedemptionsTotal=20)
    replies = at_once(local_api, 60, lambda i: issue(tenant.integration, offer_id, customerName=f"Customer {i}"))
    outcome = Counter((r.status, r.code) for r in replies)
    assert outcome == {(201, None): 20, (409, "offer_limit_reached"): 40}, outcome
    codes = {r.data["redemptionCode"] for r in replies if r.status == 201}
    assert len(codes) == 20
    listed = tenant.read.get(f"/offers/{offer_id}/vouchers?limit=100").data
    assert {v["redemptionCode"] for v in listed} == codes
    assert_ledger_clean(tenant.tenant_id)


def test_60_issue_calls_race_for_a_pool_of_20_codes(local_api, tenant):
    offer_id = offer(tenant.admin)
    pool = [f"POOL-{i:04d}" for i in range(20)]
    assert tenant.admin.post(f"/offers/{offer_id}/voucher-codes", {"codes": pool}).data["added"] == 20
    replies = at_once(local_api, 60, lambda i: issue(tenant.integration, offer_id, customerName=f"Customer {i}"))
    outcome = Counter((r.status, r.code) for r in replies)
    assert outcome == {(201, None): 20, (409, "out_of_stock"): 40}, outcome
    assert sorted(r.data["redemptionCode"] for r in replies if r.status == 201) == pool
    assert_ledger_clean(tenant.tenant_id)
