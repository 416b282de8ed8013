"""One case rule for codes (issue 21 B9): voucher and coupon codes are case-insensitive, stored upper-case, so a
pool never holds two spellings of one code, a lower-case copy of an issued code can't be loaded into another
offer's pool, and lookup, redeem and cancel find a voucher however its code is typed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.test_rewards import funded_member, redeem, reward
from tests.support.ledger import assert_ledger_clean, member
from tests.support.vouchers import issued, offer

SPELLINGS = {"lower": str.lower, "mixed": lambda code: code[0].lower() + code[1:].upper(), "as issued": str}


def load(tenant: Any, offer_id: str, codes: list[str]) -> dict[str, Any]:
    reply = tenant.admin.post(f"/offers/{offer_id}/voucher-codes", {"codes": codes})
    assert reply.status == 200, reply.text
    return dict(reply.data)


def test_a_pool_keeps_one_spelling_and_no_other_pool_takes_a_copy_of_an_issued_code(tenant):
    pooled, other = offer(tenant.admin), offer(tenant.admin)
    first = load(tenant, pooled, ["spring-a1", "SPRING-A1", "Spring-A2"])
    assert (first["added"], first["skipped"], first["stock"]["total"]) == (2, 1, 2)
    voucher = issued(tenant.integration, pooled, memberId=member(tenant.integration, "p@example.com"))
    assert voucher["redemptionCode"] in {"SPRING-A1", "SPRING-A2"}
    copies = [voucher["redemptionCode"].lower(), voucher["redemptionCode"].title()]
    assert (load(tenant, other, copies)["added"], load(tenant, other, ["spring-a2", "spring-a1"])["added"]) == (0, 0)
    assert issued(tenant.integration, pooled)["redemptionCode"] in {"SPRING-A1", "SPRING-A2"}
    assert_ledger_clean(tenant.tenant_id)


@pytest.mark.parametrize("pooled", [True, False], ids=["pooled", "generated"])
@pytest.mark.parametrize("spelling", SPELLINGS.values(), ids=SPELLINGS)
def test_lookup_redeem_and_cancel_find_a_voucher_however_its_code_is_typed(tenant, pooled, spelling):
    offer_id = offer(tenant.admin)
    if pooled:
        load(tenant, offer_id, ["till-code-1", "till-code-2"])
    kept, dropped = issued(tenant.integration, offer_id), issued(tenant.integration, offer_id)
    typed = spelling(kept["redemptionCode"])
    assert tenant.read.get(f"/vouchers/{typed}").data == kept
    redeemed = tenant.integration.post(f"/vouchers/{typed}/redeem", {"orderId": "o-1"})
    assert (redeemed.status, redeemed.data["voucherId"]) == (200, kept["voucherId"])
    cancelled = tenant.integration.post(f"/vouchers/{spelling(dropped['redemptionCode'])}/cancel")
    assert (cancelled.status, cancelled.data["voucherId"]) == (200, dropped["voucherId"])
    assert_ledger_clean(tenant.tenant_id)


def test_coupon_codes_follow_the_same_rule(tenant):
    reward(tenant, "coffee")
    added = tenant.admin.post("/rewards/coffee/codes", {"codes": ["cafe-1", "CAFE-1", "Cafe-2"]}).data
    assert (added["added"], added["skipped"]) == (2, 1)
    m = funded_member(tenant, "c@example.com", 100)
    assert redeem(tenant, m, "coffee").data["couponCode"] in {"CAFE-1", "CAFE-2"}
    assert tenant.admin.post("/rewards/coffee/codes", {"codes": ["cafe-2", "cafe-1"]}).data["added"] == 0
    assert_ledger_clean(tenant.tenant_id)
