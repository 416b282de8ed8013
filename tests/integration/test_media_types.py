"""Request media types (issue 22 item 3, contract §1): on every route that takes a body, a body not sent as
application/json is a 415 unsupported_media_type that changes nothing; the same body sent as JSON is served."""

from typing import Any

from loyalty.routes import PROTECTED

from tests.support.dynamo_actions import delivery_of
from tests.support.ledger import activity, award, member
from tests.support.local import Tenant, ok, tenant_digest
from tests.support.vouchers import issued, offer
from tools.openapi import spec_of

REFUSED = ("application/xml", "text/plain", "multipart/form-data; boundary=media", None)  # None: no Content-Type
ACCEPTED = "application/json; charset=utf-8"
BODY_ROUTES = [route for route in PROTECTED if route.method != "GET"]  # the public token route takes forms


def _requests(tenant: Tenant) -> dict[str, tuple[str, dict[str, Any]]]:
    """For each route that takes a body: a path and body it serves (in an order that lets each one succeed)."""
    admin, integration = tenant.admin, tenant.integration
    activity(admin, "visit", points=10)
    activity(admin, "manual", points=5, approvalMethod="manual")
    activity(admin, "sale", type="multiplier", multiplier=1, isSaleActivity=True)
    ok(200, admin.patch("/program", {"saleActivityId": "sale"}))
    m, erased = member(integration, "media@example.com"), member(integration, "erased@example.com")
    ok(201, award(integration, m, "visit", points=500))
    approved, rejected = (ok(201, award(integration, m, "manual")).data["transactionId"] for _ in "12")
    ok(201, integration.post("/orders", {"orderId": "o-1", "memberId": m, "total": "20.00"}))
    ok(
        201,
        admin.post(
            "/rewards", {"rewardId": "cup", "name": "Cup", "pointsCost": 10, "fulfillment": "coupon", "isActive": True}
        ),
    )
    ok(
        201,
        admin.post(
            "/rewards", {"rewardId": "mug", "name": "Mug", "pointsCost": 10, "fulfillment": "manual", "isActive": True}
        ),
    )
    completed, cancelled = (
        ok(201, integration.post(f"/members/{m}/redemptions", {"rewardId": "mug"})).data["redemptionId"] for _ in "12"
    )
    spring = offer(admin, offerCode="MEDIA-SPRING", rewardType="points", offerAmount="25")
    pooled = offer(admin, offerCode="MEDIA-POOL")
    redeemed, dropped = (issued(integration, pooled, memberId=m)["voucherId"] for _ in "12")
    spring_redemption = {"teamId": tenant.tenant_id, "offerCode": "MEDIA-SPRING", "memberId": m, "orderId": "o-9"}
    to_reverse = ok(201, integration.post("/offer-redemptions", {**spring_redemption, "orderId": "o-11"})).data["id"]
    referee = member(integration, "referee@example.com")
    referral_code = ok(200, integration.get(f"/members/{m}")).data["referralCode"]
    endpoint = {"url": "http://127.0.0.1:9/hook", "events": ["*"]}  # issue 24: webhook endpoints
    hook, doomed = (ok(201, admin.post("/webhooks", endpoint)).data["webhookId"] for _ in "12")
    delivery = delivery_of(tenant.tenant_id, hook)
    ok(201, admin.post("/segments", {"segmentId": "media", "name": "Media"}))  # issue 25: segments
    challenge = {"challengeId": "ch", "name": "Ch", "type": "text", "activityId": "visit", "status": "published"}
    ok(201, admin.post("/challenges", challenge))  # issue 25: two pending responses to decide
    to_approve, to_reject = (
        ok(201, integration.post("/challenges/ch/responses", {"memberId": m, "answer": {"n": n}})).data["responseId"]
        for n in (1, 2)
    )
    ok(201, admin.post("/promo-codes", {"code": "MEDIA-PROMO", "activityId": "visit"}))  # issue 25
    ok(201, admin.post("/promo-codes", {"code": "MEDIA-FLY", "activityId": "visit", "singleUse": True}))
    return {
        "update_program": ("/program", {"pendingDays": 3}),
        "create_member": ("/members", {"email": "new@example.com"}),
        "update_member": (f"/members/{m}", {"firstName": "Pat"}),
        "erase_member": (f"/members/{erased}", {}),
        "create_award": (f"/members/{m}/awards", {"activityId": "visit"}),
        "create_deduction": (f"/members/{m}/deductions", {"points": 1, "reason": "adjust"}),
        "approve_transaction": (f"/transactions/{approved}/approve", {}),
        "reject_transaction": (f"/transactions/{rejected}/reject", {"reason": "no"}),
        "create_activity": ("/activities", {"activityId": "new", "name": "New"}),
        "update_activity": ("/activities/visit", {"points": 12}),
        "create_order": ("/orders", {"orderId": "o-2", "memberId": m, "total": "10.00"}),
        "create_return": ("/orders/o-1/returns", {"returnedAmount": "5.00"}),
        "create_reward": (
            "/rewards",
            {"rewardId": "tea", "name": "Tea", "pointsCost": 5, "fulfillment": "manual", "isActive": True},
        ),
        "update_reward": ("/rewards/mug", {"name": "Mug!"}),
        "add_reward_codes": ("/rewards/cup/codes", {"codes": ["CUP-1"]}),
        "create_redemption": (f"/members/{m}/redemptions", {"rewardId": "mug"}),
        "complete_redemption": (f"/redemptions/{completed}/complete", {}),
        "cancel_redemption": (f"/redemptions/{cancelled}/cancel", {"reason": "gone"}),
        "create_offer": ("/offers", {"offerCode": "MEDIA-1", "name": "N", "rewardType": "amount", "offerAmount": "5"}),
        "update_offer": (f"/offers/{spring}", {"name": "Spring!"}),
        "activate_offer": (f"/members/{m}/offers/{spring}/activation", {}),
        "deactivate_offer": (f"/members/{m}/offers/{spring}/activation", {}),
        "create_offer_redemption": ("/offer-redemptions", {**spring_redemption, "value": "9.00"}),
        "issue_voucher": (f"/offers/{pooled}/vouchers", {"memberId": m}),
        "add_voucher_codes": (f"/offers/{pooled}/voucher-codes", {"codes": ["MEDIACODE-1"]}),
        "redeem_voucher": (f"/vouchers/{redeemed}/redeem", {"orderId": "o-10"}),
        "cancel_voucher": (f"/vouchers/{dropped}/cancel", {}),
        "reverse_offer_redemption": (f"/offer-redemptions/{to_reverse}/reverse", {"reason": "media"}),  # issue 23
        "create_referral": (f"/members/{referee}/referral", {"referralCode": referral_code}),
        # issue 24: webhook endpoints
        "create_webhook": ("/webhooks", endpoint),
        "retry_webhook_delivery": (f"/webhooks/{hook}/deliveries/{delivery}/retry", {}),  # before the pause
        "update_webhook": (f"/webhooks/{hook}", {"enabled": False}),
        "rotate_webhook_secret": (f"/webhooks/{hook}/rotate-secret", {}),
        "delete_webhook": (f"/webhooks/{doomed}", {}),
        # issue 25: segments and overrides
        "create_segment": ("/segments", {"segmentId": "media-new", "name": "New"}),
        "update_segment": ("/segments/media", {"name": "Media!"}),
        "put_segment_override": (f"/segments/media/members/{m}", {"type": "include"}),
        "delete_segment_override": (f"/segments/media/members/{m}", {}),
        # issue 25: challenges
        "create_challenge": ("/challenges", {**challenge, "challengeId": "ch2"}),
        "update_challenge": ("/challenges/ch", {"name": "Ch!"}),
        "create_challenge_response": ("/challenges/ch/responses", {"memberId": m, "answer": {"n": 3}}),
        "approve_challenge_response": (f"/challenge-responses/{to_approve}/approve", {}),
        "reject_challenge_response": (f"/challenge-responses/{to_reject}/reject", {"reason": "no"}),
        # issue 25: reward grants and promo codes
        "create_reward_grant": (f"/members/{m}/reward-grants", {"rewardId": "mug", "reason": "media"}),
        "create_promo_code": ("/promo-codes", {"code": "MEDIA-NEW", "activityId": "visit"}),
        "update_promo_code": ("/promo-codes/MEDIA-PROMO", {"status": "active"}),
        "add_promo_codes": ("/promo-codes/MEDIA-FLY/codes", {"codes": ["FLY-2"]}),
        "use_promo_code": (f"/members/{m}/promo-codes", {"code": "media-promo"}),
        # issue 26: a bulk import's upload URL
        "create_import": ("/imports", {"kind": "members"}),
    }


def test_every_route_refuses_a_body_not_sent_as_json_and_serves_it_as_json(tenant):
    requests = _requests(tenant)
    assert set(requests) == {route.function for route in BODY_ROUTES}, "a request for every route that takes a body"
    for route in sorted(BODY_ROUTES, key=lambda r: list(requests).index(r.function)):
        path, body = requests[route.function]
        # a refused POST leaves no idempotency record: the same key serves the JSON request afresh
        key = {"Idempotency-Key": f"media-{route.function}"} if route.method == "POST" else {}
        before = tenant_digest(tenant.tenant_id)
        for content_type in REFUSED:
            reply = tenant.admin.call(route.method, path, body, headers=key, content_type=content_type)
            assert (reply.status, reply.code) == (415, "unsupported_media_type"), (route.path, content_type, reply.text)
        assert tenant_digest(tenant.tenant_id) == before, (route.path, "a refused request wrote")
        reply = tenant.admin.call(route.method, path, body, headers=key, content_type=ACCEPTED)
        assert reply.status == spec_of(route).status, (route.path, reply.text)
        assert "idempotent-replayed" not in reply.headers, route.path


def test_a_request_without_a_body_needs_no_content_type(tenant):
    m = member(tenant.integration, "plain@example.com")
    activity(tenant.admin, "manual", points=5, approvalMethod="manual")
    pending = ok(201, award(tenant.integration, m, "manual")).data["transactionId"]
    assert ok(200, tenant.admin.call("POST", f"/transactions/{pending}/approve")).data["status"] == "approved"
    assert ok(200, tenant.read.call("GET", f"/members/{m}")).data["balance"]["available"] == 5
