"""Offer, activation and offer-redemption shapes (contract section 8; seeds 000, 002, 003)."""

from __future__ import annotations

import re
from typing import Any

from loyalty.models.common import PAGING, TIME_RANGE
from loyalty.schema import Array, Bool, Currency, DateTime, Field, Id, Int, Money, Object, Str

REWARD_TYPES = ["percentage", "amount", "points"]
STATUSES = ["draft", "published", "archived"]
CHANNELS = ["online", "in-store"]
_DECIMAL = r"^\d{1,12}(\.\d{1,4})?$"


class OfferAmount(Field):
    """Percent, money or points as a decimal string ("10", "5.00", "250"); a JSON integer is accepted too."""

    def convert(self, value: Any, path: str) -> Any:
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 10**9:
            value = str(value)
        if not isinstance(value, str) or not re.fullmatch(_DECIMAL, value):
            raise self._fail(path, 'must be a decimal string such as "10" or "5.00"')
        return value

    def extra_schema(self) -> dict[str, Any]:
        return {"pattern": _DECIMAL, "example": "10"}


URL = Str(max_len=2048, pattern=r"^https?://\S+$", nullable=True)
CONTENT_ID = Str(min_len=1, max_len=128, pattern=r"^[\x21-\x7e]+$", description="A SKU or content id")
TAG = Object("OfferTag", {"key": Str(required=True, min_len=1, max_len=100), "value": Str(required=True, max_len=200)})
IMAGES = Object("OfferImages", {"logo": URL, "hero": URL}, nullable=True)
MESSAGES = Object(
    "OfferMessages",
    {
        "short": Str(max_len=200, nullable=True),
        "pre": Str(max_len=2000, nullable=True),
        "post": Str(max_len=2000, nullable=True),
        "thankYou": Str(max_len=2000, nullable=True),
    },
    nullable=True,
)

_FIELDS: dict[str, Field] = {
    "name": Str(min_len=1, max_len=200),
    "merchantName": Str(max_len=200, nullable=True),
    "description": Str(max_len=4000, nullable=True),
    "rewardType": Str(enum=REWARD_TYPES, description="percentage of value, a fixed amount of money, or points"),
    "offerAmount": OfferAmount(description="Percent (0-100], money, or whole points, by rewardType"),
    "minSpendAmount": Money(nullable=True, description="The order value needed to redeem"),
    "maxRewardAmount": Money(nullable=True, description="Cap on a money reward (percentage offers)"),
    "currency": Currency(description="Default: the program's currency"),
    "startDate": DateTime(nullable=True, description="Redeemable from (null: at once)"),
    "endDate": DateTime(nullable=True, description="Redeemable until (null: no end)"),
    "status": Str(enum=STATUSES, description="Moves forward only: draft → published → archived"),
    "requiresActivation": Bool(description="A member must activate (clip) it before redeeming"),
    "maxRedemptionsPerMember": Int(minimum=1, maximum=10**6, nullable=True, description="null = no limit"),
    "maxRedemptionsTotal": Int(minimum=1, maximum=10**9, nullable=True, description="null = no limit"),
    "channels": Array(Str(enum=CHANNELS), max_items=2),
    "categoryId": Str(max_len=128, nullable=True),
    "tags": Array(TAG, max_items=20),
    "contentIds": Array(CONTENT_ID, max_items=500, description="SKUs it applies to; empty = every item"),
    "images": IMAGES,
    "messages": MESSAGES,
}

OFFER_CREATE = Object(
    "OfferCreate",
    {
        "offerCode": Id(required=True, description="Unique in the program; can't change later"),
        **_FIELDS,
        "name": Str(required=True, min_len=1, max_len=200),
        "rewardType": Str(required=True, enum=REWARD_TYPES),
        "offerAmount": OfferAmount(required=True, description="Percent (0-100], money, or whole points"),
        "status": Str(enum=["draft", "published"], description="Default draft"),
    },
)
OFFER_UPDATE = Object("OfferUpdate", _FIELDS)

OFFER = Object(
    "Offer",
    {
        "offerId": Str(required=True),
        "offerCode": Str(required=True),
        **Object(None, _FIELDS).all_required("_").fields,
        "status": Str(required=True, enum=STATUSES),
        "redemptionCount": Int(required=True, minimum=0),
        "createdAt": DateTime(required=True),
        "updatedAt": DateTime(required=True),
    },
)
OFFER_LIST_QUERY = Object(None, {**PAGING, "status": Str(enum=STATUSES), "offerCode": Id()})

MEMBER_OFFER = OFFER.with_fields(
    "MemberOffer",
    activated=Bool(required=True),
    activatedAt=DateTime(required=True, nullable=True),
    daysRemaining=Int(required=True, nullable=True, minimum=0, description="Whole days until endDate"),
    redemptionsLeft=Int(required=True, nullable=True, minimum=0, description="null = no limit"),
)
REFERENCED_OFFER = MEMBER_OFFER.with_fields("ReferencedOffer", redemptionCount=None, redemptionsLeft=None)
MEMBER_OFFER_QUERY = Object(None, PAGING)

ACTIVATION = Object(
    "OfferActivation",
    {
        "memberId": Str(required=True),
        "offerId": Str(required=True),
        "offerCode": Str(required=True),
        "activated": Bool(required=True),
        "activatedAt": DateTime(required=True, nullable=True),
    },
)

REDEMPTION_CREATE = Object(
    "OfferRedemptionCreate",
    {
        "teamId": Str(required=True, min_len=1, max_len=128, description="Must be the caller's tenant id"),
        "offerCode": Id(required=True),
        "memberId": Id(description="Required for points offers, activation and per-member limits"),
        "redeemedAt": DateTime(description="Default now; not in the future"),
        "orderId": Id(description="An offer is redeemed once per (offerCode, orderId), permanently"),
        "currency": Currency(description="Must be the offer's currency"),
        "value": Money(description="The order total"),
        "contentIds": Array(CONTENT_ID, max_items=500, description="SKUs in the order"),
    },
)

REDEMPTION = Object(
    "OfferRedemption",
    {
        "id": Str(required=True),
        "offerId": Str(required=True),
        "offerCode": Str(required=True),
        "memberId": Str(required=True, nullable=True),
        "orderId": Str(required=True, nullable=True),
        "redeemedAt": DateTime(required=True),
        "currency": Currency(required=True),
        "value": Money(required=True, nullable=True),
        "rewardType": Str(required=True, enum=REWARD_TYPES),
        "rewardAmount": Money(required=True, nullable=True, description="Money offers: the discount"),
        "points": Int(required=True, nullable=True, minimum=1, description="Points offers: the points awarded"),
        "contentIds": Array(Str(), required=True, max_items=500),
        "transactionId": Str(required=True, nullable=True, description="Points offers: the ledger award"),
        "createdAt": DateTime(required=True),
    },
)
REDEMPTION_LIST_QUERY = Object(None, {**PAGING, **TIME_RANGE, "offerCode": Id()})
MEMBER_REDEMPTIONS_QUERY = Object(
    None,
    {
        **PAGING,
        "startDate": DateTime(description="Only redemptions at or after this time (redeemedAt)"),
        "endDate": DateTime(description="Only redemptions at or before this time (redeemedAt)"),
    },
)
MEMBER_REDEMPTIONS = Object(
    "MemberOfferRedemptions",
    {
        "redemptions": Array(REDEMPTION, required=True, max_items=100),
        "offers": Array(
            REFERENCED_OFFER, required=True, max_items=100, description="Each offer the redemptions reference, once"
        ),
    },
)
