"""Exact codes and records of vouchers and their code pools (§9)."""

import pytest
from loyalty import ids
from loyalty.models.vouchers import VoucherCodesAdd, VoucherListQuery, VoucherRedeem
from loyalty.services import vouchers

from tests.support.money import TENANT, foreign_token_refused, give, invalid_fields, offer, refused

pytestmark = pytest.mark.usefixtures("fresh_table")


def test_an_offer_s_vouchers_are_paged_newest_first_and_a_token_pages_on_only_its_own_list(prog):
    listed_offer, other_offer = offer(prog, "VPAGE"), offer(prog, "VPAGE2")
    made = []
    for name in ("Ada", "Bob", "Cy"):
        made.append(give(prog, listed_offer, customerName=name))
        prog.clock.advance(minutes=1)
    give(prog, other_offer, customerName="Di")

    def listed(offer_id=listed_offer, **query):
        return vouchers.list_offer_vouchers(TENANT, offer_id, VoucherListQuery.model_validate(query))

    seen, token = [], None
    for _ in made:
        page = listed(limit=1, **({"nextToken": token} if token else {}))
        seen += page.items
        token = page.next_token
    assert (seen, token) == (made[::-1], None)  # each page the next voucher; none after the last
    assert listed(limit=3).next_token is None
    foreign_token_refused(listed, {}, {}, other=lambda **query: listed(other_offer, **query))
    foreign_token_refused(listed, {}, {"status": "acquired"})


def test_codes_shaped_like_ids_are_refused_naming_the_first_twenty(prog):
    pooled = offer(prog, "VIDS")
    body = VoucherCodesAdd.model_validate({"codes": ["POOL-OK-1", *(ids.secret_ulid() for _ in range(21))]})
    assert invalid_fields(lambda: vouchers.add_codes(prog.caller, pooled, body)) == [
        f"codes[{i}]" for i in range(1, 21)
    ]


def test_redeeming_or_cancelling_an_unknown_voucher_by_id_or_code_is_a_404(prog):
    for unknown in (ids.secret_ulid(), "NO-SUCH-CODE"):
        assert refused(lambda u=unknown: vouchers.redeem(prog.caller, u, VoucherRedeem())) == (404, "not_found")
        assert refused(lambda u=unknown: vouchers.cancel(prog.caller, u)) == (404, "not_found")


def test_a_customer_s_voucher_from_a_pool_stocked_in_every_shard_takes_one_code_and_no_member(prog):
    pooled = offer(prog, "VFULL")
    codes = [f"FULL-{n:03d}" for n in range(64)]  # enough to stock every shard of the pool
    vouchers.add_codes(prog.caller, pooled, VoucherCodesAdd.model_validate({"codes": codes}))
    issued = give(prog, pooled, customerName="Ada")
    assert (issued["memberId"], issued["customerName"], issued["redemptionCode"] in codes) == (None, "Ada", True)
