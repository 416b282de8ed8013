"""Writes events/<function>.json: a realistic API Gateway event per function (`python -m tools.local.sample_events`)."""

import json
import sys
from typing import Any

from loyalty.routes import DELIVERY_FUNCTION, JOBS, ROUTES, STAGE, Route

from tools.local.constants import DEMO_TENANT
from tools.local.gateway import build_event

# function → (path parameters, body, query string)
SAMPLES: dict = {
    "create_member": ({}, {"email": "ada@example.com", "externalId": "cust-1001", "firstName": "Ada"}, ""),
    "list_members": ({}, None, "limit=10&createdFrom=2024-11-01T00:00:00Z"),
    "get_member": ({"memberId": "01JD7Z8Q5V4X9M2K3N6P8R1T0W"}, None, ""),
    "update_member": ({"memberId": "01JD7Z8Q5V4X9M2K3N6P8R1T0W"}, {"firstName": "Ada", "status": "active"}, ""),
    "erase_member": ({"memberId": "01JD7Z8Q5V4X9M2K3N6P8R1T0W"}, None, ""),
    "get_status": ({}, None, ""),
    # 12. The public token route: a form body and HTTP Basic, no authorizer context (main() below)
    "create_token": ({}, None, ""),
    "get_program": ({}, None, ""),
    "update_program": (
        {},
        {
            "pointsExpiryDays": 365,
            "tiers": [
                {"tierId": "silver", "name": "Silver", "threshold": 0},
                {"tierId": "gold", "name": "Gold", "threshold": 1000},
            ],
        },
        "",
    ),
    "get_member_summary": ({"memberId": "01JD7Z8Q5V4X9M2K3N6P8R1T0W"}, None, ""),
    # 10. Referrals: the fixture member is referred by Ben (01JD7Z9B..., referral code BEN4M7QX2T)
    "create_referral": ({"memberId": "01JD7Z8Q5V4X9M2K3N6P8R1T0W"}, {"referralCode": "BEN4M7QX2T"}, ""),
    "list_member_referrals": ({"memberId": "01JD7Z9B4W6Y8A0C2E4G6J8M0P"}, None, "limit=10"),
    "create_award": (
        {"memberId": "01JD7Z8Q5V4X9M2K3N6P8R1T0W"},
        {"activityId": "newsletter-signup", "reason": "Joined the newsletter"},
        "",
    ),
    "create_deduction": (
        {"memberId": "01JD7Z8Q5V4X9M2K3N6P8R1T0W"},
        {"points": 50, "reason": "Goodwill correction"},
        "",
    ),
    "list_member_transactions": (
        {"memberId": "01JD7Z8Q5V4X9M2K3N6P8R1T0W"},
        None,
        "limit=10&type=award&status=approved",
    ),
    "list_transactions": ({}, None, "limit=25&from=2024-11-01T00:00:00Z&to=2024-11-30T23:59:59Z"),
    "get_transaction": ({"transactionId": "01JD80A1B2C3D4E5F6G7H8J9K0"}, None, ""),
    "approve_transaction": ({"transactionId": "01JD80A1B2C3D4E5F6G7H8J9K0"}, None, ""),
    "reject_transaction": ({"transactionId": "01JD80A1B2C3D4E5F6G7H8J9K0"}, {"reason": "Duplicate submission"}, ""),
    "create_activity": (
        {},
        {
            "activityId": "purchase",
            "name": "Purchase",
            "type": "multiplier",
            "multiplier": 2,
            "approvalMethod": "delayed",
            "isSaleActivity": True,
        },
        "",
    ),
    "list_activities": ({}, None, "isActive=true"),
    "get_activity": ({"activityId": "purchase"}, None, ""),
    "update_activity": ({"activityId": "purchase"}, {"maxAwardFrequency": 3, "maxAwardFrequencyInterval": "day"}, ""),
    "create_order": (
        {},
        {
            "orderId": "order-1001",
            "memberId": "01JD7Z8Q5V4X9M2K3N6P8R1T0W",
            "total": "59.90",
            "currency": "USD",
            "items": [{"sku": "TEE-01", "name": "T-shirt", "quantity": 2, "unitPrice": "29.95", "amount": "59.90"}],
            "channel": "online",
        },
        "",
    ),
    "get_order": ({"orderId": "order-1001"}, None, ""),
    "list_member_orders": ({"memberId": "01JD7Z8Q5V4X9M2K3N6P8R1T0W"}, None, "limit=10"),
    "create_return": ({"orderId": "order-1001"}, {"returnedAmount": "29.95"}, ""),
    "create_reward": (
        {},
        {
            "rewardId": "coffee-5",
            "name": "$5 coffee voucher",
            "pointsCost": 500,
            "value": "5.00",
            "fulfillment": "coupon",
            "couponExpiry": "2027-06-30",
            "maxPerMember": 2,
            "maxPerMemberInterval": "month",
            "isActive": True,
            "startDate": "2024-11-01T00:00:00Z",
        },
        "",
    ),
    "list_rewards": ({}, None, "isActive=true&limit=20"),
    "get_reward": ({"rewardId": "coffee-5"}, None, ""),
    "update_reward": ({"rewardId": "coffee-5"}, {"pointsCost": 450, "tierIds": ["gold"]}, ""),
    "add_reward_codes": ({"rewardId": "coffee-5"}, {"codes": ["CAFE-7K2M-9QXA", "CAFE-3JHD-P8LW"]}, ""),
    "create_redemption": ({"memberId": "01JD7Z8Q5V4X9M2K3N6P8R1T0W"}, {"rewardId": "coffee-5"}, ""),
    # 11. Reward grants and promo codes
    "create_reward_grant": (
        {"memberId": "01JD7Z8Q5V4X9M2K3N6P8R1T0W"},
        {"rewardId": "coffee-5", "reason": "Order 1001 arrived late"},
        "",
    ),
    "create_promo_code": (
        {},
        {"code": "SUMMER25", "activityId": "promo-summer", "maxUsesTotal": 5000, "endDate": "2030-08-31T23:59:59Z"},
        "",
    ),
    "list_promo_codes": ({}, None, "limit=25&status=active"),
    "get_promo_code": ({"code": "SUMMER25"}, None, ""),
    "update_promo_code": ({"code": "SUMMER25"}, {"status": "disabled"}, ""),
    "add_promo_codes": ({"code": "FLYER-2026"}, {"codes": ["FLY-7K2M-9QXA", "FLY-3JHD-P8LW"]}, ""),
    "use_promo_code": ({"memberId": "01JD7Z8Q5V4X9M2K3N6P8R1T0W"}, {"code": "summer25"}, ""),
    "list_member_redemptions": ({"memberId": "01JD7Z8Q5V4X9M2K3N6P8R1T0W"}, None, "status=pending"),
    "list_member_rewards": ({"memberId": "01JD7Z8Q5V4X9M2K3N6P8R1T0W"}, None, "eligible=true&limit=25"),
    "list_redemptions": ({}, None, "from=2024-11-01T00:00:00Z&limit=50"),
    "get_redemption": ({"redemptionId": "01JD81C3D4E5F6G7H8J9K0M1N2"}, None, ""),
    "complete_redemption": ({"redemptionId": "01JD81C3D4E5F6G7H8J9K0M1N2"}, None, ""),
    "cancel_redemption": (
        {"redemptionId": "01JD81C3D4E5F6G7H8J9K0M1N2"},
        {"reason": "Customer changed their mind", "refund": True},
        "",
    ),
    "create_offer": (
        {},
        {
            "offerCode": "SPRING_2019_50_PERCENT_OFF",
            "name": "Half off in spring",
            "merchantName": "Bob's Warehouse",
            "rewardType": "percentage",
            "offerAmount": "50",
            "minSpendAmount": "5.00",
            "maxRewardAmount": "30.00",
            "startDate": "2026-03-01T00:00:00Z",
            "endDate": "2099-12-31T23:59:59Z",
            "status": "published",
            "requiresActivation": True,
            "maxRedemptionsPerMember": 1,
            "maxRedemptionsTotal": 10000,
            "channels": ["online", "in-store"],
            "categoryId": "3",
            "tags": [{"key": "purchase-channel", "value": "In-Store"}],
            "contentIds": ["SKU22242"],
            "images": {"logo": "https://img.example.com/logo.png", "hero": "https://img.example.com/hero.png"},
            "messages": {"short": "Save 50% at Bob's", "thankYou": "Thank you for shopping!"},
        },
        "",
    ),
    "list_offers": ({}, None, "status=published&limit=20"),
    "get_offer": ({"offerId": "01JD82D4E5F6G7H8J9K0M1N2P3"}, None, ""),
    "update_offer": ({"offerId": "01JD82D4E5F6G7H8J9K0M1N2P3"}, {"status": "archived"}, ""),
    "list_member_offers": ({"memberId": "01JD7Z8Q5V4X9M2K3N6P8R1T0W"}, None, "limit=10"),
    "activate_offer": ({"memberId": "01JD7Z8Q5V4X9M2K3N6P8R1T0W", "offerId": "01JD82D4E5F6G7H8J9K0M1N2P3"}, None, ""),
    "deactivate_offer": (
        {"memberId": "01JD7Z8Q5V4X9M2K3N6P8R1T0W", "offerId": "01JD82D4E5F6G7H8J9K0M1N2P3"},
        None,
        "",
    ),
    "create_offer_redemption": (
        {},
        {
            "teamId": "demo",
            "offerCode": "SPRING_2019_50_PERCENT_OFF",
            "memberId": "01JD7Z8Q5V4X9M2K3N6P8R1T0W",
            "redeemedAt": "2026-04-05T11:20:49Z",
            "orderId": "O144232334",
            "currency": "USD",
            "value": "13.33",
            "contentIds": ["SKU22242"],
        },
        "",
    ),
    "list_offer_redemptions": ({}, None, "offerCode=SPRING_2019_50_PERCENT_OFF&from=2026-04-01T00:00:00Z"),
    "get_offer_redemption": ({"id": "01JD83E5F6G7H8J9K0M1N2P3Q4"}, None, ""),
    "reverse_offer_redemption": ({"id": "01JD83E5F6G7H8J9K0M1N2P3Q4"}, {"reason": "Order cancelled at the till"}, ""),
    "list_member_offer_redemptions": (
        {"memberId": "01JD7Z8Q5V4X9M2K3N6P8R1T0W"},
        None,
        "startDate=2026-03-22T09:39:25Z&endDate=2026-06-22T09:39:25Z",
    ),
    # 9. Vouchers
    "issue_voucher": (
        {"offerId": "01JD82D4E5F6G7H8J9K0M1N2P3"},
        {"memberId": "01JD7Z8Q5V4X9M2K3N6P8R1T0W", "expirationDate": "2099-06-30"},
        "",
    ),
    "add_voucher_codes": (
        {"offerId": "01JD82D4E5F6G7H8J9K0M1N2P3"},
        {"codes": ["SPRING-7K2M9QXA", "SPRING-3JHDP8WT"]},
        "",
    ),
    "list_offer_vouchers": ({"offerId": "01JD82D4E5F6G7H8J9K0M1N2P3"}, None, "status=acquired&limit=25"),
    "list_member_vouchers": ({"memberId": "01JD7Z8Q5V4X9M2K3N6P8R1T0W"}, None, "status=acquired&limit=25"),
    "get_offer_voucher": (
        {"offerId": "01JD82D4E5F6G7H8J9K0M1N2P3", "voucherId": "01JD83E5F6G7H8J9K0M1N2P3Q4"},
        None,
        "",
    ),
    "get_voucher": ({"voucherIdOrCode": "7KQ2XW9MHT4P"}, None, ""),
    "redeem_voucher": ({"voucherIdOrCode": "7KQ2XW9MHT4P"}, {"orderId": "order-1001"}, ""),
    "cancel_voucher": ({"voucherIdOrCode": "01JD83E5F6G7H8J9K0M1N2P3Q4"}, None, ""),
    # 11. Challenges: the fixture's steps challenge (manual) and its member's pending response
    "create_challenge": (
        {},
        {
            "challengeId": "steps-10k",
            "name": "Walk 10,000 steps",
            "type": "photo",
            "activityId": "newsletter-signup",
            "approvalMethod": "manual",
            "maxResponsesPerMember": 1,
            "maxResponsesPerMemberInterval": "day",
            "status": "published",
        },
        "",
    ),
    "list_challenges": ({}, None, "status=published&limit=20"),
    "get_challenge": ({"challengeId": "steps-10k"}, None, ""),
    "update_challenge": ({"challengeId": "steps-10k"}, {"endDate": "2099-12-31T23:59:59Z"}, ""),
    "create_challenge_response": (
        {"challengeId": "steps-10k"},
        {"memberId": "01JD7Z8Q5V4X9M2K3N6P8R1T0W", "answer": {"photoUrl": "https://img.example.com/steps.jpg"}},
        "",
    ),
    "list_challenge_responses": ({"challengeId": "steps-10k"}, None, "status=pending&limit=25"),
    "list_member_challenge_responses": ({"memberId": "01JD7Z8Q5V4X9M2K3N6P8R1T0W"}, None, "limit=25"),
    "approve_challenge_response": ({"responseId": "01JD85A1B2C3D4E5F6G7H8J9K0"}, None, ""),
    "reject_challenge_response": (
        {"responseId": "01JD85A1B2C3D4E5F6G7H8J9K0"},
        {"reason": "The photo does not show a step count"},
        "",
    ),
    # 13. Events
    "list_events": ({}, None, "type=points.awarded&from=2026-01-01T00:00:00Z&limit=25"),
    "get_event": ({"eventId": "evt_01JD80A1B2C3D4E5F6G7H8J9K0"}, None, ""),
    # 13. Webhook endpoints: the fixture's endpoint is a receiver on this machine (`loyalty invoke` serves locally)
    "create_webhook": (
        {},
        {"url": "http://127.0.0.1:4000/webhooks", "events": ["points.awarded", "tier.changed"], "description": "CRM"},
        "",
    ),
    "list_webhooks": ({}, None, "limit=20"),
    "get_webhook": ({"webhookId": "wh_01JD84F6G7H8J9K0M1N2P3Q4R5"}, None, ""),
    "update_webhook": ({"webhookId": "wh_01JD84F6G7H8J9K0M1N2P3Q4R5"}, {"events": ["*"], "enabled": True}, ""),
    "delete_webhook": ({"webhookId": "wh_01JD84F6G7H8J9K0M1N2P3Q4R5"}, None, ""),
    "rotate_webhook_secret": ({"webhookId": "wh_01JD84F6G7H8J9K0M1N2P3Q4R5"}, None, ""),
    # 13. Webhook deliveries: the fixture's delivery of the get_event sample's event to the fixture's endpoint
    # issue 26: deployed bulk imports
    "create_import": ({}, {"kind": "members"}, ""),
    "get_import": ({"importId": "imp_01JD8YF6G8J0L2N4Q6S8U0W2Y4"}, None, ""),
    "list_webhook_deliveries": ({"webhookId": "wh_01JD84F6G7H8J9K0M1N2P3Q4R5"}, None, "limit=25"),
    "retry_webhook_delivery": (
        {"webhookId": "wh_01JD84F6G7H8J9K0M1N2P3Q4R5", "deliveryId": "dlv_01JD80A1B23CQJRHH1642X5DCP"},
        None,
        "",
    ),
    # 11. Segments and targeting: the fixture member (2,000 qualified points: Gold) is in the fixture segment
    "create_segment": (
        {},
        {"segmentId": "gold-members", "name": "Gold members", "rules": {"tierIds": ["gold"], "minQualified": 1000}},
        "",
    ),
    "list_segments": ({}, None, "limit=20"),
    "get_segment": ({"segmentId": "gold-members"}, None, ""),
    "update_segment": ({"segmentId": "gold-members"}, {"name": "Gold and above"}, ""),
    "put_segment_override": (
        {"segmentId": "gold-members", "memberId": "01JD7Z8Q5V4X9M2K3N6P8R1T0W"},
        {"type": "include"},
        "",
    ),
    "delete_segment_override": ({"segmentId": "gold-members", "memberId": "01JD7Z8Q5V4X9M2K3N6P8R1T0W"}, None, ""),
    "list_member_segments": ({"memberId": "01JD7Z8Q5V4X9M2K3N6P8R1T0W"}, None, "limit=25"),
}

HEADERS = {
    "Authorization": "Bearer lk_demo_exampleexampleexampleexample00",
    "Content-Type": "application/json",
    "Host": "abc123.execute-api.us-east-1.amazonaws.com",
    "User-Agent": "curl/8.5.0",
    "X-Forwarded-For": "203.0.113.10",
    "X-Amzn-Trace-Id": "Root=1-5f84c7a9-3d1e2f4a5b6c7d8e9f0a1b2c",
}


def main() -> None:
    only = set(sys.argv[1:])
    for route in ROUTES:
        if only and route.function not in only:
            continue
        params, body, query = SAMPLES[route.function]
        path = route.path
        for k, v in params.items():
            path = path.replace("{" + k + "}", v)
        headers = dict(HEADERS)
        if route.public:
            _public_sample(route)
            continue
        if route.method == "POST":
            headers["Idempotency-Key"] = "order-1001-award"
        event = build_event(
            route,
            params,
            route.method,
            path,
            query,
            headers,
            json.dumps(body) if body is not None else None,
            {
                "tenantId": DEMO_TENANT,
                "scopes": "admin",
                "keyId": "0123456789abcdef",
                "principalId": "demo/0123456789abcdef",
                "integrationLatency": 12,
            },
        )
        _write_request_sample(route, event)
    json.dump(
        {
            "type": "TOKEN",
            "authorizationToken": "Bearer lk_demo_exampleexampleexampleexample00",
            "methodArn": f"arn:aws:execute-api:us-east-1:123456789012:abc123/{STAGE}/GET/status",
        },
        open("events/authorizer.json", "w"),
        indent=2,
    )
    for job in JOBS:  # what an EventBridge schedule delivers
        scheduled = {
            "version": "0",
            "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "123456789012",
            "time": "2026-11-22T03:00:00Z",
            "region": "us-east-1",
            "resources": [f"arn:aws:events:us-east-1:123456789012:rule/loyalty-{job.name}"],
            "detail": {},
        }
        json.dump(scheduled, open(f"events/{job.function}.json", "w"), indent=2)
    _delivery_sample()


# The demo client the fixtures make (tools/local/fixtures.py), whose credentials the token sample sends.
DEMO_CLIENT_ID = "oc_01JDEMOC11ENT0000000000000"
DEMO_CLIENT_SECRET = "cs_demo-example-secret-example-secret-example0"


def _write_request_sample(route: Route, event: dict[str, Any]) -> None:
    """events/<function>.json: the event with its request context fixed as API Gateway fills it."""
    event["requestContext"]["apiId"] = "abc123"
    event["requestContext"]["domainName"] = "abc123.execute-api.us-east-1.amazonaws.com"
    event["requestContext"]["requestId"] = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    event["requestContext"]["requestTimeEpoch"] = 1767225600000
    event["requestContext"]["requestTime"] = "01/Jan/2026:00:00:00 +0000"
    event["requestContext"]["extendedRequestId"] = "Eg7yJFhroAMFXkQ="
    json.dump(event, open(f"events/{route.function}.json", "w"), indent=2)
    print("wrote", route.function)


def _public_sample(route: Route) -> None:
    """POST /oauth/token as API Gateway sends it: form body, HTTP Basic, no authorizer context."""
    import base64

    pair = base64.b64encode(f"{DEMO_CLIENT_ID}:{DEMO_CLIENT_SECRET}".encode()).decode()
    headers = {
        **{k: v for k, v in HEADERS.items() if k != "Authorization"},
        "Authorization": f"Basic {pair}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    body = "grant_type=client_credentials&scope=read"
    event = build_event(route, {}, route.method, route.path, "", headers, body, {})
    _write_request_sample(route, event)


def _delivery_sample() -> None:
    """What SQS gives the webhook delivery consumer (functions/deliver_webhooks): one attempt per message."""
    body = {
        "tenantId": DEMO_TENANT,
        "webhookId": "wh_01JD84F6G7H8J9K0M1N2P3Q4R5",
        "deliveryId": "dlv_01JD80A1B23CQJRHH1642X5DCP",
        "attempt": 0,
        "notBefore": 1767225600.0,
    }
    record = {
        "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
        "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
        "body": json.dumps(body),
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1767225600000",
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1767225600010",
        },
        "messageAttributes": {},
        "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:WebhookDeliveries",
        "awsRegion": "us-east-1",
    }
    json.dump({"Records": [record]}, open(f"events/{DELIVERY_FUNCTION}.json", "w"), indent=2)


if __name__ == "__main__":
    main()
