"""An offer update against the uses in flight (issue 21 B8): once PATCH /offers/{id} has answered, no
redemption or voucher issue decided under the offer's old rules commits. Deterministic: the PATCH is made
between a claim's read of the offer and its commit; and a real burst of redemptions racing an archive."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from loyalty.services import offer_limits

from tests.support.concurrency import at_once
from tests.support.ledger import assert_ledger_clean, member, outcome
from tests.support.vouchers import issue, published_offer

pytestmark = pytest.mark.xdist_group("concurrency")


def patch_while_claiming(monkeypatch: pytest.MonkeyPatch, tenant: Any, offer_id: str, change: dict[str, Any]) -> None:
    """The first claim after this reads the offer, then the PATCH answers, then the claim goes on to commit."""
    real, pending = offer_limits.claim, [change]

    def claim(*args: Any, **kwargs: Any) -> Any:
        if pending:
            reply = tenant.admin.call("PATCH", f"/offers/{offer_id}", pending.pop())
            assert reply.status == 200, reply.text
        return real(*args, **kwargs)

    monkeypatch.setattr(offer_limits, "claim", claim)


def redeem(tenant: Any, offer: dict[str, Any], member_id: str, order: str) -> Any:
    body = {"teamId": tenant.tenant_id, "offerCode": offer["offerCode"], "memberId": member_id, "orderId": order}
    return tenant.integration.post("/offer-redemptions", body)


CHANGES = {
    "archived": ({"status": "archived"}, "offer_not_active"),
    "activation required": ({"requiresActivation": True}, "offer_not_activated"),
    "per-member limit lowered": ({"maxRedemptionsPerMember": 1}, "offer_limit_reached"),
    "total limit lowered": ({"maxRedemptionsTotal": 1}, "offer_limit_reached"),
}


@pytest.mark.parametrize(("change", "refusal"), CHANGES.values(), ids=CHANGES)
def test_a_redemption_read_before_an_update_is_decided_again_after_it(tenant, monkeypatch, change, refusal):
    offer = published_offer(tenant.admin, maxRedemptionsPerMember=2, maxRedemptionsTotal=5)
    m = member(tenant.integration, "racer@example.com")
    assert outcome(redeem(tenant, offer, m, "first")) == 201  # one use: room for one more under the old rules
    patch_while_claiming(monkeypatch, tenant, offer["offerId"], change)
    assert outcome(redeem(tenant, offer, m, "second")) == refusal
    assert tenant.read.get(f"/offers/{offer['offerId']}").data["redemptionCount"] == 1
    assert_ledger_clean(tenant.tenant_id)


VOUCHER_CHANGES = {k: CHANGES[k] for k in ("archived", "per-member limit lowered", "total limit lowered")}


@pytest.mark.parametrize(("change", "refusal"), VOUCHER_CHANGES.values(), ids=VOUCHER_CHANGES)
def test_a_voucher_issue_read_before_an_update_is_decided_again_after_it(tenant, monkeypatch, change, refusal):
    offer = published_offer(tenant.admin, maxRedemptionsPerMember=2, maxRedemptionsTotal=5)
    m = member(tenant.integration, "holder@example.com")
    assert outcome(issue(tenant.integration, offer["offerId"], memberId=m)) == 201
    patch_while_claiming(monkeypatch, tenant, offer["offerId"], change)
    assert outcome(issue(tenant.integration, offer["offerId"], memberId=m)) == refusal
    assert tenant.read.get(f"/offers/{offer['offerId']}").data["redemptionCount"] == 1
    assert_ledger_clean(tenant.tenant_id)


def test_an_archive_racing_20_redemptions_lets_none_through_after_it_answered(local_api, tenant):
    """Real threads: the redemptions that win commit before the archive, the rest are refused by it;
    the counts agree with the redemptions stored, and one sent after the archive answered is refused."""
    offer = published_offer(tenant.admin)
    members = [member(tenant.integration, f"burst{i}@example.com") for i in range(20)]

    def call(i: int) -> Any:
        if i == 20:
            return tenant.admin.call("PATCH", f"/offers/{offer['offerId']}", {"status": "archived"})
        return redeem(tenant, offer, members[i], f"order-{i}")

    replies = at_once(local_api, 21, call)
    assert replies[20].status == 200, replies[20].text
    seen = Counter(outcome(reply) for reply in replies[:20])
    assert set(seen) <= {201, "offer_not_active"}, seen
    assert tenant.read.get(f"/offers/{offer['offerId']}").data["redemptionCount"] == seen[201]
    assert len(tenant.read.get(f"/offer-redemptions?offerCode={offer['offerCode']}&limit=100").data) == seen[201]
    assert outcome(redeem(tenant, offer, members[0], "after")) == "offer_not_active"
    assert_ledger_clean(tenant.tenant_id)


def test_limits_lowered_under_the_vouchers_issued_stop_further_issues_and_leave_the_checker_clean(tenant):
    """One rule for both limits (issue 21 B6): lowering either under the uses made is accepted; it governs
    the uses after it, the 409 states the real count, and the checker does not call the past uses damage."""
    offer = published_offer(tenant.admin, maxRedemptionsPerMember=3, maxRedemptionsTotal=5)
    m = member(tenant.integration, "many@example.com")
    for _ in range(3):
        assert outcome(issue(tenant.integration, offer["offerId"], memberId=m)) == 201
    path = f"/offers/{offer['offerId']}"
    assert tenant.admin.call("PATCH", path, {"maxRedemptionsPerMember": 1}).status == 200
    refused = issue(tenant.integration, offer["offerId"], memberId=m)
    assert refused.json["error"]["message"] == "The member has used this offer 3 times already (the limit is 1)."
    assert tenant.admin.call("PATCH", path, {"maxRedemptionsTotal": 2}).status == 200
    refused = issue(tenant.integration, offer["offerId"])
    assert refused.json["error"]["message"] == "The offer has been used 3 times already (the limit is 2)."
    assert_ledger_clean(tenant.tenant_id)
    assert tenant.admin.call("PATCH", path, {"maxRedemptionsTotal": 4}).status == 200  # one more in total
    assert [outcome(issue(tenant.integration, offer["offerId"])) for _ in range(2)] == [201, "offer_limit_reached"]
    assert_ledger_clean(tenant.tenant_id)
