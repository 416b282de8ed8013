"""Examples of docs/openapi.json: a request body per body shape, and an answer made from each answer's schema
with realistic values by field name (tests check every example against its schema and its pydantic shape)."""

from __future__ import annotations

from typing import Any

MEMBER_ID = "01JD8Y6ZQ4M0W3E5R7T9V1X2YA"
TRANSACTION_ID = "01JD8Y7C2N4P6R8T0V2X4Z6B8D"
OFFER_ID = "01JD8Y8K3M5Q7S9U1W3Y5A7C9E"
VOUCHER_ID = "01JD8Y9F4H6K8M0P2R4T6V8X0Z"
WHEN = "2026-05-01T09:00:00Z"
NEXT_TOKEN = "eyJ2IjoxLCJrIjoiMDFKRDhZN0MyTjRQNlI4VDBWMlg0WjZCOEQifQ.c2lnbmF0dXJl"  # opaque: sent back as is

REQUEST_EXAMPLES: dict[str, dict[str, Any]] = {
    "ProgramUpdate": {
        "pointsExpiryDays": 365,
        "tiers": [
            {"tierId": "silver", "name": "Silver", "threshold": 0},
            {"tierId": "gold", "name": "Gold", "threshold": 1000},
        ],
        "saleActivityId": "purchase",
        "expiryNoticeDays": 14,
    },
    "MemberCreate": {
        "email": "ana@example.com",
        "externalId": "crm-1042",
        "cardId": "CARD-0042",
        "firstName": "Ana",
        "lastName": "Silva",
    },
    "MemberUpdate": {"phone": "+14155550123", "status": "suspended"},
    "AwardCreate": {"activityId": "purchase", "points": 120, "orderId": "o-1001", "reason": "Order o-1001"},
    "DeductionCreate": {"points": 50, "reason": "Goodwill points taken back"},
    "Rejection": {"reason": "Receipt could not be verified"},
    "ActivityCreate": {
        "activityId": "purchase",
        "name": "Purchase",
        "type": "multiplier",
        "multiplier": 1,
        "approvalMethod": "immediate",
        "isSaleActivity": True,
        "qualifiedPoints": True,
    },
    "ActivityUpdate": {"maxAwardFrequency": 1, "maxAwardFrequencyInterval": "day"},
    "OrderCreate": {
        "orderId": "o-1001",
        "memberId": MEMBER_ID,
        "total": "120.50",
        "items": [{"sku": "SKU-1", "name": "Coffee beans", "quantity": 2, "unitPrice": "60.25", "amount": "120.50"}],
        "channel": "online",
    },
    "OrderReturnCreate": {"returnedAmount": "20.00"},
    "RewardCreate": {
        "rewardId": "coffee",
        "name": "Free coffee",
        "pointsCost": 500,
        "fulfillment": "coupon",
        "isActive": True,
        "maxPerMember": 1,
        "maxPerMemberInterval": "day",
        "startDate": "2026-05-01T00:00:00Z",
    },
    "RewardUpdate": {"pointsCost": 450, "maxPerMember": 2, "endDate": "2026-12-31T23:59:59Z"},
    "RewardCodesAdd": {"codes": ["COFFEE-7K2Q", "COFFEE-9M4T"]},
    "RedemptionCreate": {"rewardId": "coffee"},
    "RedemptionCancel": {"reason": "Shop closed", "refund": True},
    # issue 25: reward grants and promo codes
    "RewardGrantCreate": {"rewardId": "coffee", "reason": "Order 1001 arrived late"},
    "PromoCodeCreate": {
        "code": "SUMMER25",
        "activityId": "promo-summer",
        "maxUsesTotal": 5000,
        "maxUsesPerMember": 1,
        "startDate": "2026-06-01T00:00:00Z",
        "endDate": "2026-08-31T23:59:59Z",
    },
    "PromoCodeUpdate": {"status": "disabled"},
    "PromoCodesAdd": {"codes": ["FLY-7K2M-9QXA", "FLY-3JHD-P8LW"]},
    "PromoCodeUse": {"code": "summer25"},
    "OfferCreate": {
        "offerCode": "SPRING50",
        "name": "50% off in spring",
        "rewardType": "percentage",
        "offerAmount": "50",
        "maxRewardAmount": "25.00",
        "startDate": "2026-03-01T00:00:00Z",
        "endDate": "2026-05-31T23:59:59Z",
        "status": "published",
    },
    "OfferUpdate": {"status": "archived"},
    "OfferRedemptionCreate": {
        "teamId": "acme",
        "offerCode": "SPRING50",
        "memberId": MEMBER_ID,
        "orderId": "o-1001",
        "value": "40.00",
    },
    "VoucherIssue": {"memberId": MEMBER_ID},
    "VoucherCodesAdd": {"codes": ["SPRING-4HK7P2QX", "SPRING-9TW3M8RB"]},
    "VoucherRedeem": {"orderId": "o-1001"},
    "ReferralCreate": {"referralCode": "BEN4M7QX2T"},
    # issue 23: offer redemption reversal
    "OfferRedemptionReverse": {"reason": "Order cancelled at the till"},
    # issue 24: webhook endpoints
    "WebhookCreate": {
        "url": "https://example.com/webhooks/loyalty",
        "events": ["points.awarded", "tier.changed"],
        "description": "CRM sync",
    },
    "WebhookUpdate": {"events": ["*"], "enabled": True},
    # issue 26: deployed bulk imports
    "ImportCreate": {"kind": "codes", "rewardId": "coffee"},
    # 12. OAuth client credentials (the form body takes the same fields)
    "TokenRequest": {
        "grant_type": "client_credentials",
        "client_id": "oc_01JDEMOC11ENT0000000000000",
        "client_secret": "cs_bW9ja3NlY3JldG1vY2tzZWNyZXRtb2Nrc2VjcmV0",
        "scope": "read",
    },
    # issue 25: segments and targeting
    "SegmentCreate": {
        "segmentId": "gold-vip",
        "name": "Gold VIPs",
        "rules": {"tierIds": ["gold"], "minQualified": 1000, "tags": ["vip"]},
    },
    "SegmentUpdate": {"rules": {"tierIds": ["gold"], "createdFrom": "2026-01-01T00:00:00Z"}},
    "SegmentOverridePut": {"type": "include"},
    # issue 25: challenges and their responses
    "ChallengeCreate": {
        "challengeId": "steps-10k",
        "name": "Walk 10,000 steps",
        "type": "photo",
        "activityId": "challenge-steps",
        "approvalMethod": "manual",
        "maxResponsesPerMember": 1,
        "maxResponsesPerMemberInterval": "day",
        "startDate": "2026-06-01T00:00:00Z",
        "endDate": "2026-06-30T23:59:59Z",
        "status": "published",
    },
    "ChallengeUpdate": {"status": "archived"},
    "ResponseCreate": {"memberId": MEMBER_ID, "answer": {"photoUrl": "https://img.example.com/steps.jpg"}},
    "ResponseReject": {"reason": "The photo does not show a step count"},
}

# values by field name for the answers' examples; a field not named here gets one from its schema
FIELD_EXAMPLES: dict[str, Any] = {
    # a webhook delivery: its first attempt answered 503, the second due (issue 24)
    "attempts": 1,
    "statusCode": 503,
    "lastStatusCode": 503,
    "durationMs": 212,
    "memberId": MEMBER_ID,
    "refereeId": MEMBER_ID,
    "referrerId": "01JD8Y5WX3K9Q2M7R4T6V8Z0B1",
    "transactionId": TRANSACTION_ID,
    "transactionIds": [TRANSACTION_ID],
    "redemptionId": "01JD8YA1B3D5F7H9K1M3P5R7T9",
    "returnId": "01JD8YB2C4E6G8J0L2N4Q6S8U0",
    "offerId": OFFER_ID,
    "voucherId": VOUCHER_ID,
    "id": "01JD8YC3D5F7H9K1M3P5R7T9V1",
    "activityId": "purchase",
    "activityName": "Purchase",
    "rewardId": "coffee",
    "rewardName": "Free coffee",
    "orderId": "o-1001",
    "offerCode": "SPRING50",
    "externalId": "crm-1042",
    "email": "ana@example.com",
    "firstName": "Ana",
    "lastName": "Silva",
    "phone": "+14155550123",
    "referralCode": "ANA7K2Q",
    "redemptionCode": "SPRING-4HK7P2QX",
    "couponCode": "COFFEE-7K2Q",
    "ineligibleReasons": [],  # GET /members/{memberId}/rewards: an eligible reward has none
    "customerName": "Ana Silva",
    "merchantName": "Acme Coffee",
    "currency": "USD",
    "tierId": "gold",
    "message": "ok",
    "version": "1.0.0",
    "reason": "Order o-1001",
    "name": "Example",
    "total": "120.50",
    "subtotal": "120.50",
    "value": "40.00",
    "unitPrice": "60.25",
    "amount": "120.50",
    "returnedAmount": "0.00",
    "rewardAmount": "20.00",
    "offerAmount": "50",
    "minSpendAmount": "10.00",
    "maxRewardAmount": "25.00",
    "points": 120,
    "pointsCost": 500,
    "multiplier": 1,
    "quantity": 2,
    "threshold": 1000,
    "profileImageUrl": "https://example.com/ana.png",
    "logo": "https://example.com/logo.png",
    "hero": "https://example.com/hero.png",
    # issue 23: offer redemption reversal
    "reversalReason": "Order cancelled at the till",
    "reversalTransactionId": TRANSACTION_ID,
    "deficitPoints": 0,
    # issue 24: webhook endpoints
    "webhookId": "wh_01JD8YD4E6G8J0L2N4Q6S8U0W2",
    "events": ["points.awarded", "tier.changed"],
    "description": "CRM sync",
    # issue 25: segments and targeting
    "segmentId": "gold-vip",
    # issue 26: deployed bulk imports
    "importId": "imp_01JD8YF6G8J0L2N4Q6S8U0W2Y4",
    "uploadUrl": "https://loyalty-imports.s3.amazonaws.com/uploads/acme/imp_01JD8YF6G8J0L2N4Q6S8U0W2Y4?X-Amz-Expires=900",
    "uploadExpiresAt": "2026-05-01T09:15:00Z",
    "rowsTotal": 120000,
    "rowsDone": 120000,
    "rowsFailed": 3,
    "reportUrl": "https://loyalty-imports.s3.amazonaws.com/reports/acme/imp_01JD8YF6G8J0L2N4Q6S8U0W2Y4.csv?X-Amz-Expires=3600",
    # issue 25: challenges and their responses
    "challengeId": "steps-10k",
    "responseId": "01JD8YE5F7H9K1M3P5R7T9V1X3",
}
_JSON_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "array": list,
    "object": dict,
}

_ERROR_MESSAGES = {
    "validation_error": "The request is not valid.",
    "unauthorized": "A valid API key is required.",
    "forbidden": "This API key may not call this operation.",
    "not_found": "The resource does not exist.",
    "payload_too_large": "The request body is larger than 64 KiB.",
    "unsupported_media_type": "The request body must be JSON.",
    "idempotency_key_reused": "This Idempotency-Key was used with a different request.",
    "throttled": "Too many requests; retry after the delay given.",
    "unavailable": "The service is briefly unavailable; retry after the delay.",
    "member_exists": "A member with this email or externalId exists already.",
    "insufficient_points": "The member has 40 points available.",
    "frequency_limit_reached": "The member has reached this limit for the current window.",
    "activity_inactive": "The activity is not active.",
    "reward_inactive": "The reward is not active.",
    "out_of_stock": "The reward has no codes left.",
    "offer_not_active": "The offer is not valid at redeemedAt (outside its dates).",
    "offer_not_activated": "The member must activate this offer before redeeming it.",
    "offer_limit_reached": "The member has used this offer 1 times already (the limit is 1).",
    "minimum_spend_not_met": "The offer needs an order value of at least 10.00.",
    "already_redeemed": "The voucher was redeemed already.",
    "voucher_expired": "The voucher expired after 2026-05-31.",
    "voucher_not_active": "The voucher can be redeemed from 2026-06-01.",
    "voucher_cancelled": "The voucher was cancelled.",
    "invalid_state": "The request can't be applied to the current state.",
    "duplicate": "This id was used already with other data.",
    "request_in_progress": "Retry this request with the same Idempotency-Key.",
    "not_eligible": "The member's tier may not redeem this reward.",
    "already_referred": "The member was referred already: a member is referred once.",
    "self_referral": "A member can't refer itself.",
    "limit_reached": "A tenant has at most 20 webhook endpoints; delete one to add another.",
}


# the fields a preview (`dryRun: true`) answers as null: nothing it would create exists
PREVIEW_NULLS = ("returnId", "transactionId")


def preview_example(answer: dict[str, Any]) -> dict[str, Any]:
    """A preview's answer made from the real answer's example: no ids of what it would create."""
    return {**answer, **dict.fromkeys(PREVIEW_NULLS)}


def error_message(code: str) -> str:
    return _ERROR_MESSAGES[code]


# nullable fields whose example is null (a healthy, enabled webhook endpoint that was never rotated)
NULL_EXAMPLES = frozenset({"disabledReason", "failingSince", "previousSecretExpiresAt", "error"})


def _nullable(schema: dict[str, Any]) -> bool:
    kinds = schema.get("type")
    return (isinstance(kinds, list) and "null" in kinds) or {"type": "null"} in schema.get("anyOf", [])


def example_of(schema: dict[str, Any], components: dict[str, Any], name: str | None = None) -> Any:
    """A value that fits `schema` (refs resolved in `components`): the field's example by name, else the
    schema's own example, else the first enum value, else one built from the type."""
    if name in NULL_EXAMPLES and _nullable(schema):
        return None
    if "$ref" in schema:
        return example_of(components[schema["$ref"].rsplit("/", 1)[1]], components, name)
    if "anyOf" in schema:
        branch = next(b for b in schema["anyOf"] if b.get("type") != "null")
        return example_of(branch, components, name)
    kind = schema.get("type", "object")
    kind = next(k for k in kind if k != "null") if isinstance(kind, list) else kind
    if name in FIELD_EXAMPLES and isinstance(FIELD_EXAMPLES[name], _JSON_TYPES[kind]):
        return FIELD_EXAMPLES[name]
    if "example" in schema:
        return schema["example"]
    if schema.get("examples"):
        return schema["examples"][0]
    if "enum" in schema:
        return next(value for value in schema["enum"] if value is not None)
    if kind == "object":
        properties = schema.get("properties", {})
        return {field: example_of(sub, components, field) for field, sub in properties.items()}
    if kind == "array":
        return [example_of(schema["items"], components, name)] if "items" in schema else []
    if kind == "integer":
        return max(schema.get("minimum", 1), 1)
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    if schema.get("format") == "date-time":
        return WHEN
    if schema.get("format") == "date":
        return WHEN[:10]
    return name or "text"
