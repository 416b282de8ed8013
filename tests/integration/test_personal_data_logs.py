"""No log line carries personal data or a code: a whole scenario, retries and failures forced, logged at DEBUG."""

from loyalty.repository import retry

from tests.support.faults import failure, intercept
from tests.support.ledger import activity
from tests.support.local import ok
from tests.support.personal import PROFILE, UPDATED, captured_logs, enrol, leaks, values
from tests.support.vouchers import issued, offer

COUPON, POOLED = "CPN-ZQ-00017", "VCH-ZQ-00042"
# a second member's unique values (its phone too: phones are unique, PROFILE's is the first member's)
OTHER = {"email": "zq.other@example.org", "externalId": "ext-zq-other", "phone": "+15550100001"}


def _faults(monkeypatch, throttled: int, condition_failed: int):
    """The next `throttled` transactions are throttled (then retried); after them, the next
    `condition_failed` fail the condition of their third write (a guard) as if it could never hold."""
    left = {"throttled": throttled, "condition_failed": condition_failed}

    def decide(name, params, original):
        if name == "TransactWriteItems" and left["throttled"]:
            left["throttled"] -= 1
            raise failure("ProvisionedThroughputExceededException", name)
        if name == "TransactWriteItems" and left["condition_failed"]:
            left["condition_failed"] -= 1
            raise failure("TransactionCanceledException", name, ["None", "None", "ConditionalCheckFailed"])
        return original(name, params)

    intercept(monkeypatch, decide)


def test_a_scenario_with_retries_and_failures_logs_no_personal_data_and_no_code(tenant, monkeypatch):
    monkeypatch.setattr(retry, "RACE_BUDGET_SECONDS", 0.5)
    secrets = values(PROFILE, UPDATED) | {COUPON, POOLED}
    with captured_logs() as lines:
        m = enrol(tenant.integration, key="enrol-zq")["memberId"]
        for query in (f"email={PROFILE['email']}", f"externalId={PROFILE['externalId']}"):
            assert ok(200, tenant.read.get(f"/members?{query}")).data[0]["memberId"] == m
        ok(200, tenant.integration.patch(f"/members/{m}", UPDATED))
        activity(tenant.admin, "seed", points=100)
        ok(201, tenant.integration.post(f"/members/{m}/awards", {"activityId": "seed"}))
        reward = {"rewardId": "cpn", "name": "C", "pointsCost": 10, "fulfillment": "coupon", "isActive": True}
        ok(201, tenant.admin.post("/rewards", reward))
        ok(200, tenant.admin.post("/rewards/cpn/codes", {"codes": [COUPON]}))
        coupon = ok(201, tenant.integration.post(f"/members/{m}/redemptions", {"rewardId": "cpn"}))
        assert coupon.data["couponCode"] == COUPON
        offer_id = offer(tenant.admin)
        ok(200, tenant.admin.post(f"/offers/{offer_id}/voucher-codes", {"codes": [POOLED]}))
        voucher = issued(tenant.integration, offer_id, memberId=m)
        assert voucher["redemptionCode"] == POOLED and voucher["customerName"] == "Zedekiah Quillfeather"
        ok(200, tenant.read.get(f"/vouchers/{POOLED}"))
        ok(200, tenant.integration.post(f"/vouchers/{POOLED}/redeem", {"orderId": "o-1"}))
        assert tenant.integration.post(f"/vouchers/{POOLED}/cancel").code == "already_redeemed"

        _faults(monkeypatch, throttled=2, condition_failed=0)  # retried within the budget: answered
        ok(200, tenant.integration.patch(f"/members/{m}", {"phone": PROFILE["phone"]}))
        _faults(monkeypatch, throttled=100, condition_failed=0)  # past the budget: 429
        throttled = tenant.integration.patch(f"/members/{m}", {"email": PROFILE["email"]})
        assert throttled.status == 429, throttled.text
        _faults(monkeypatch, throttled=0, condition_failed=100)  # a guard that never frees: 409
        refused = tenant.integration.post("/members", {**PROFILE, **OTHER})
        assert refused.status == 409 and refused.code == "invalid_state", refused.text
        monkeypatch.undo()

        ok(200, tenant.admin.delete(f"/members/{m}"))
        replay = tenant.integration.post("/members", PROFILE, headers={"Idempotency-Key": "enrol-zq"})
        assert replay.headers["idempotent-replayed"] == "true"
    text = "".join(lines)
    assert leaks(text, secrets | values(OTHER)) == []
    # the capture saw the scenario: requests, the throttle past its budget and the permanent condition failure
    assert "POST /Production/members" in text and "request not served" in text and "permanent condition failure" in text
