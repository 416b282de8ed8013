"""Reward catalog, coupon-code pool and reward-redemption shapes."""

from __future__ import annotations

from loyalty.models.common import PAGING, TIME_RANGE
from loyalty.schema import Array, Bool, Currency, Date, DateTime, Id, Int, Money, Object, QueryBool, Str

FULFILMENTS = ["coupon", "manual"]
REDEMPTION_STATUSES = ["issued", "pending", "completed", "cancelled"]
CODE = Str(min_len=1, max_len=128, pattern=r"^[\x21-\x7e]+$", description="Printable, no spaces")

_FIELDS = {
    "name": Str(min_len=1, max_len=200),
    "description": Str(max_len=2000, nullable=True, multiline=True),
    "pointsCost": Int(minimum=1, maximum=10**9),
    "value": Money(nullable=True),
    "currency": Currency(description="Default: the program's currency"),
    "isActive": Bool(),
    "termsText": Str(max_len=4000, nullable=True, multiline=True),
    "instructions": Str(max_len=4000, nullable=True, multiline=True),
    "couponExpiry": Date(nullable=True, description="The last day the coupon codes are valid"),
    "tierIds": Array(Id(), max_items=20, description="Tiers that may redeem; empty = every tier"),
    "maxPerMember": Int(minimum=1, maximum=10**6, nullable=True, description="Redemptions per member; null = no limit"),
}

REWARD_CREATE = Object(
    "RewardCreate",
    {
        "rewardId": Id(required=True),
        **_FIELDS,
        "name": Str(required=True, min_len=1, max_len=200),
        "pointsCost": Int(required=True, minimum=1, maximum=10**9),
        "fulfillment": Str(required=True, enum=FULFILMENTS, description="coupon: a code from the pool; manual"),
    },
)
REWARD_UPDATE = Object("RewardUpdate", _FIELDS)

STOCK = Object(
    "RewardStock",
    {
        "total": Int(required=True, nullable=True, minimum=0, description="Codes ever added (null: manual)"),
        "available": Int(required=True, nullable=True, minimum=0),
        "issued": Int(required=True, minimum=0),
    },
    required=True,
)

REWARD = Object(
    "Reward",
    {
        "rewardId": Str(required=True),
        **Object(None, _FIELDS).all_required("_").fields,
        "fulfillment": Str(required=True, enum=FULFILMENTS),
        "stock": STOCK,
        "createdAt": DateTime(required=True),
        "updatedAt": DateTime(required=True),
    },
)
REWARD_LIST_QUERY = Object(None, {**PAGING, "isActive": QueryBool()})

CODES_ADD = Object("RewardCodesAdd", {"codes": Array(CODE, required=True, min_items=1, max_items=1000)})
CODES_ADDED = Object(
    "RewardCodesAdded",
    {"added": Int(required=True, minimum=0), "skipped": Int(required=True, minimum=0), "stock": STOCK},
)

REDEMPTION_CREATE = Object("RedemptionCreate", {"rewardId": Id(required=True)})
CANCELLATION = Object(
    "RedemptionCancel",
    {
        "reason": Str(required=True, min_len=1, max_len=500),
        "refund": Bool(description="Give the points back as a refund transaction (default true)"),
    },
)

REDEMPTION = Object(
    "Redemption",
    {
        "redemptionId": Str(required=True),
        "memberId": Str(required=True),
        "rewardId": Str(required=True),
        "rewardName": Str(required=True),
        "points": Int(required=True, minimum=1),
        "value": Money(required=True, nullable=True),
        "currency": Currency(required=True),
        "couponCode": Str(required=True, nullable=True),
        "couponExpiry": Date(required=True, nullable=True),
        "status": Str(required=True, enum=REDEMPTION_STATUSES),
        "transactionId": Str(required=True),
        "refundTransactionId": Str(required=True, nullable=True),
        "cancelReason": Str(required=True, nullable=True),
        "createdAt": DateTime(required=True),
        "updatedAt": DateTime(required=True),
    },
)
REDEMPTION_LIST_QUERY = Object(None, {**PAGING, **TIME_RANGE, "status": Str(enum=REDEMPTION_STATUSES)})
