"""Offers' period limits over the local API (issue 23 item 7): maxRedemptionsPerMember counted per UTC calendar
window of maxRedemptionsPerMemberInterval, by the server's clock (not redeemedAt), vouchers counting as uses."""

from datetime import UTC, datetime

import pytest

from tests.support import offers
from tests.support.concurrency import at_once
from tests.support.frozen_clock import frozen_at
from tests.support.ledger import assert_ledger_clean, member
from tests.support.local import tenant_digest
from tests.support.offers import outcome, redeem
from tests.support.vouchers import issue

pytestmark = pytest.mark.xdist_group("concurrency")

START = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # a Tuesday


@pytest.fixture
def frozen():
    yield from frozen_at(START)


def publish(tenant, code, **fields):
    return offers.publish(tenant, code, **{"rewardType": "amount", "offerAmount": "5.00", **fields})


def left(tenant, member_id, offer_id):
    shown = {o["offerId"]: o for o in tenant.read.get(f"/members/{member_id}/offers?limit=100").data}
    return shown[offer_id]["redemptionsLeft"] if offer_id in shown else 0


def test_one_per_day_counts_by_the_servers_utc_day_not_redeemed_at(tenant, frozen):
    created = publish(tenant, "DAILY", maxRedemptionsPerMember=1, maxRedemptionsPerMemberInterval="day")
    assert created["maxRedemptionsPerMemberInterval"] == "day"
    m = member(tenant.integration, "daily@example.com")
    assert left(tenant, m, created["offerId"]) == 1
    assert redeem(tenant, "DAILY", memberId=m, orderId="o-1").status == 201
    refused = redeem(tenant, "DAILY", memberId=m, orderId="o-2")
    assert (refused.status, refused.code) == (409, "offer_limit_reached"), refused.text
    assert left(tenant, m, created["offerId"]) == 0
    frozen.current = datetime(2026, 3, 10, 23, 59, 59, tzinfo=UTC)
    assert redeem(tenant, "DAILY", memberId=m, orderId="o-3").code == "offer_limit_reached"
    frozen.current = datetime(2026, 3, 11, 0, 0, 0, tzinfo=UTC)  # the next UTC day: one more
    # redeemedAt of yesterday decides only the offer's dates: the use counts today
    assert redeem(tenant, "DAILY", memberId=m, orderId="o-4", redeemedAt="2026-03-10T08:00:00Z").status == 201
    assert redeem(tenant, "DAILY", memberId=m, orderId="o-5").code == "offer_limit_reached"
    other = member(tenant.integration, "other@example.com")  # per member: another one has its own
    assert redeem(tenant, "DAILY", memberId=other, orderId="o-6").status == 201
    assert tenant.read.get(f"/offers/{created['offerId']}").data["redemptionCount"] == 3
    assert_ledger_clean(tenant.tenant_id)


@pytest.mark.parametrize(
    ("interval", "last", "first"),
    [
        ("week", datetime(2026, 3, 15, 23, 59, 59, tzinfo=UTC), datetime(2026, 3, 16, tzinfo=UTC)),  # Sun → Mon
        ("month", datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)),
        ("year", datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
    ],
)
def test_week_month_and_year_windows_turn_at_their_utc_edges(tenant, frozen, interval, last, first):
    publish(tenant, "P", maxRedemptionsPerMember=2, maxRedemptionsPerMemberInterval=interval)
    m = member(tenant.integration, "p@example.com")
    assert redeem(tenant, "P", memberId=m, orderId="o-1").status == 201
    frozen.current = last
    assert redeem(tenant, "P", memberId=m, orderId="o-2").status == 201
    assert redeem(tenant, "P", memberId=m, orderId="o-3").code == "offer_limit_reached"
    frozen.current = first
    assert [redeem(tenant, "P", memberId=m, orderId=f"o-{i}").status for i in (4, 5, 6)] == [201, 201, 409]
    assert_ledger_clean(tenant.tenant_id)


def test_voucher_issues_count_toward_the_window_as_redemptions_do(tenant, frozen):
    created = publish(tenant, "VDAY", maxRedemptionsPerMember=1, maxRedemptionsPerMemberInterval="day")
    m = member(tenant.integration, "v@example.com")
    assert issue(tenant.integration, created["offerId"], memberId=m).status == 201
    assert redeem(tenant, "VDAY", memberId=m).code == "offer_limit_reached"
    assert issue(tenant.integration, created["offerId"], memberId=m).code == "offer_limit_reached"
    frozen.advance(days=1)
    assert redeem(tenant, "VDAY", memberId=m).status == 201
    assert issue(tenant.integration, created["offerId"], memberId=m).code == "offer_limit_reached"
    assert issue(tenant.integration, created["offerId"], customerName="Walk-in").status == 201  # no member: no window
    assert tenant.read.get(f"/offers/{created['offerId']}").data["redemptionCount"] == 3
    assert_ledger_clean(tenant.tenant_id)


def test_interval_default_patch_and_bad_values(tenant, frozen):
    created = publish(tenant, "LIFE", maxRedemptionsPerMember=2)
    assert created["maxRedemptionsPerMemberInterval"] == "lifetime"
    offer_id = created["offerId"]
    m = member(tenant.integration, "l@example.com")
    assert redeem(tenant, "LIFE", memberId=m).status == 201
    before = tenant_digest(tenant.tenant_id)
    for bad in ("hour", "", None, 1, "Day"):
        reply = tenant.admin.patch(f"/offers/{offer_id}", {"maxRedemptionsPerMemberInterval": bad})
        assert reply.status == 400 and reply.code == "validation_error", (bad, reply.text)
        fresh = tenant.admin.post("/offers", {**_body("BAD"), "maxRedemptionsPerMemberInterval": bad})
        assert fresh.status == 400, (bad, fresh.text)
    assert tenant_digest(tenant.tenant_id) == before  # no 400 stored anything
    assert tenant.read.get(f"/offers/{offer_id}").data["maxRedemptionsPerMemberInterval"] == "lifetime"
    assert tenant.read.get("/offers?offerCode=BAD").data == []
    # lifetime → day: today's window counts from here; day → lifetime: every use ever counts
    patched = tenant.admin.patch(f"/offers/{offer_id}", {"maxRedemptionsPerMemberInterval": "day"})
    assert patched.status == 200 and patched.data["maxRedemptionsPerMemberInterval"] == "day"
    assert [redeem(tenant, "LIFE", memberId=m).status for _ in range(3)] == [201, 201, 409]
    back = tenant.admin.patch(f"/offers/{offer_id}", {"maxRedemptionsPerMemberInterval": "lifetime"})
    assert back.status == 200
    assert redeem(tenant, "LIFE", memberId=m).code == "offer_limit_reached"  # 3 uses ever, limit 2
    assert left(tenant, m, offer_id) == 0
    assert_ledger_clean(tenant.tenant_id)


def _body(code):
    return {"offerCode": code, "name": code, "rewardType": "amount", "offerAmount": "5.00", "status": "published"}


def test_a_member_limited_to_1_per_day_sending_10_at_once_gets_1_then_1_more_the_next_day(local_api, tenant, frozen):
    created = publish(tenant, "RACE", maxRedemptionsPerMember=1, maxRedemptionsPerMemberInterval="day")
    m = member(tenant.integration, "race@example.com")
    for day in (1, 2):
        replies = at_once(local_api, 10, lambda i, day=day: redeem(tenant, "RACE", memberId=m, orderId=f"d{day}-{i}"))
        assert outcome(replies) == {(201, None): 1, (409, "offer_limit_reached"): 9}, outcome(replies)
        frozen.advance(days=1)
    assert tenant.read.get(f"/offers/{created['offerId']}").data["redemptionCount"] == 2
    assert_ledger_clean(tenant.tenant_id)


def test_vouchers_and_redemptions_racing_for_one_daily_use_get_one(local_api, tenant, frozen):
    created = publish(tenant, "MIX", maxRedemptionsPerMember=1, maxRedemptionsPerMemberInterval="day")
    m = member(tenant.integration, "mix@example.com")

    def call(i):
        if i % 2:
            return issue(tenant.integration, created["offerId"], memberId=m)
        return redeem(tenant, "MIX", memberId=m, orderId=f"o-{i}")

    replies = at_once(local_api, 10, call)
    assert outcome(replies) == {(201, None): 1, (409, "offer_limit_reached"): 9}, outcome(replies)
    assert_ledger_clean(tenant.tenant_id)
