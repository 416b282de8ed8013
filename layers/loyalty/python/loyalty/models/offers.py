"""Offer, activation and offer-redemption shapes (contract section 8; seeds 000, 002, 003)."""

from loyalty.models.activities import INTERVALS
from loyalty.models.common import Paging, TimeRange
from loyalty.models.segments import ExcludedSegmentIds, SegmentIds
from loyalty.models.types import (
    Count,
    Currency,
    Flag,
    Id,
    Money,
    Shape,
    Text,
    Url,
    UtcDateTime,
    boolean,
    bounded_list,
    client_id,
    currency,
    integer,
    money,
    one_of,
    text,
    utc_datetime,
)

REWARD_TYPES = ("percentage", "amount", "points")
STATUSES = ("draft", "published", "archived")
REDEMPTION_STATUSES = ("redeemed", "reversed")
CHANNELS = ("online", "in-store")
OfferAmount = money(
    integers=True,
    example="10",
    description="Percent (0-100], money, or whole points, by rewardType (a JSON integer is taken as its string)",
)
ContentId = text(min_len=1, max_len=128, pattern=r"^[\x21-\x7e]+$", description="A SKU or content id")
ContentIds = bounded_list(ContentId, max_items=500, description="SKUs it applies to; empty = every item")
Name = text(min_len=1, max_len=200)
Merchant = text(max_len=200)
Description = text(max_len=4000)
RewardType = one_of(*REWARD_TYPES, description="percentage of value, a fixed amount of money, or points")
MinSpend = money(description="The order value needed to redeem")
MaxReward = money(description="Cap on a money reward (percentage offers)")
ProgramCurrency = currency(description="Default: the program's currency")
Start = utc_datetime(description="Redeemable from (null: at once)")
End = utc_datetime(description="Redeemable until (null: no end)")
Status = one_of(*STATUSES, description="Moves forward only: draft → published → archived")
PerMember = integer(minimum=1, maximum=10**6, description="null = no limit")
PerMemberInterval = one_of(
    *INTERVALS,
    description="The UTC calendar window maxRedemptionsPerMember counts in (default lifetime), by the server's clock",
)
Total = integer(minimum=1, maximum=10**9, description="null = no limit")
Activation = boolean(description="A member must activate (clip) it before redeeming")
Channels = bounded_list(one_of(*CHANNELS), max_items=2)
Category = text(max_len=128)
Message = text(max_len=2000)


class OfferTag(Shape):
    key: text(min_len=1, max_len=100)
    value: text(max_len=200)


Tags = bounded_list(OfferTag, max_items=20)


class OfferImages(Shape):
    logo: Url | None = None
    hero: Url | None = None


class OfferMessages(Shape):
    short: text(max_len=200) | None = None
    pre: Message | None = None
    post: Message | None = None
    thankYou: Message | None = None


class OfferUpdate(Shape):
    name: Name = None
    merchantName: Merchant | None = None
    description: Description | None = None
    rewardType: RewardType = None
    offerAmount: OfferAmount = None
    minSpendAmount: MinSpend | None = None
    maxRewardAmount: MaxReward | None = None
    currency: ProgramCurrency = None
    startDate: Start | None = None
    endDate: End | None = None
    status: Status = None
    requiresActivation: Activation = None
    maxRedemptionsPerMember: PerMember | None = None
    maxRedemptionsPerMemberInterval: PerMemberInterval = None
    maxRedemptionsTotal: Total | None = None
    channels: Channels = None
    categoryId: Category | None = None
    tags: Tags = None
    contentIds: ContentIds = None
    images: OfferImages | None = None
    messages: OfferMessages | None = None
    segmentIds: SegmentIds = None
    excludedSegmentIds: ExcludedSegmentIds = None


class _OfferCode(Shape):
    offerCode: client_id(description="Unique in the program; can't change later")


class OfferCreate(OfferUpdate, _OfferCode):
    name: Name
    rewardType: one_of(*REWARD_TYPES)
    offerAmount: OfferAmount
    status: one_of("draft", "published", description="Default draft") = None


class _OfferCore(Shape):
    offerId: Text
    offerCode: Text
    name: Name
    merchantName: Merchant | None
    description: Description | None
    rewardType: RewardType
    offerAmount: OfferAmount
    minSpendAmount: MinSpend | None
    maxRewardAmount: MaxReward | None
    currency: ProgramCurrency
    startDate: Start | None
    endDate: End | None
    status: one_of(*STATUSES)
    requiresActivation: Activation
    maxRedemptionsPerMember: PerMember | None
    maxRedemptionsPerMemberInterval: PerMemberInterval
    maxRedemptionsTotal: Total | None
    channels: Channels
    categoryId: Category | None
    tags: Tags
    contentIds: ContentIds
    images: OfferImages | None
    messages: OfferMessages | None
    segmentIds: SegmentIds
    excludedSegmentIds: ExcludedSegmentIds


class _Counted(_OfferCore):
    redemptionCount: Count


class _Stamps(Shape):
    createdAt: UtcDateTime
    updatedAt: UtcDateTime


class _Activated(Shape):
    activated: Flag
    activatedAt: UtcDateTime | None
    daysRemaining: integer(minimum=0, description="Whole days until endDate") | None


class _Left(Shape):
    redemptionsLeft: integer(minimum=0, description="null = no limit") | None


class Offer(_Stamps, _Counted):
    pass


class MemberOffer(_Left, _Activated, Offer):
    pass


class ReferencedOffer(_Activated, _Stamps, _OfferCore):
    pass


class OfferListQuery(Paging):
    status: one_of(*STATUSES) = None
    offerCode: Id = None


class MemberOfferQuery(Paging):
    pass


class OfferActivation(Shape):
    memberId: Text
    offerId: Text
    offerCode: Text
    activated: Flag
    activatedAt: UtcDateTime | None


OfferCurrency = currency(description="Must be the offer's currency")


class OfferRedemptionCreate(Shape):
    teamId: text(min_len=1, max_len=128, description="Must be the caller's tenant id")
    offerCode: Id
    memberId: client_id(description="Required for points offers, activation and per-member limits") = None
    redeemedAt: utc_datetime(description="Default now; not in the future") = None
    orderId: client_id(description="An offer is redeemed once per (offerCode, orderId), permanently") = None
    currency: OfferCurrency = None
    value: money(description="The order total") = None
    contentIds: bounded_list(ContentId, max_items=500, description="SKUs in the order") = None


class OfferRedemption(Shape):
    id: Text
    offerId: Text
    offerCode: Text
    memberId: Text | None
    orderId: Text | None
    redeemedAt: UtcDateTime
    currency: Currency
    value: Money | None
    rewardType: one_of(*REWARD_TYPES)
    rewardAmount: money(description="Money offers: the discount") | None
    points: integer(minimum=1, description="Points offers: the points awarded") | None
    contentIds: bounded_list(Text, max_items=500)
    transactionId: text(description="Points offers: the ledger award") | None
    createdAt: UtcDateTime
    status: one_of(*REDEMPTION_STATUSES, description="redeemed, or reversed (POST /offer-redemptions/{id}/reverse)")
    reversedAt: UtcDateTime | None
    reversalReason: text(max_len=500) | None
    reversalTransactionId: text(description="Points offers: the `return` transaction of the reversal") | None
    deficitPoints: (
        integer(
            minimum=0, description="Reversed: points not taken back because the member had spent them (money offers: 0)"
        )
        | None
    )


class OfferRedemptionReverse(Shape):
    reason: text(min_len=1, max_len=500, description="Why the redemption is reversed") = None


class OfferRedemptionListQuery(TimeRange):
    offerCode: Id = None


class MemberRedemptionsQuery(Paging):
    startDate: utc_datetime(description="Only redemptions at or after this time (redeemedAt)") = None
    endDate: utc_datetime(description="Only redemptions at or before this time (redeemedAt)") = None


class MemberOfferRedemptions(Shape):
    redemptions: bounded_list(OfferRedemption, max_items=100)
    offers: bounded_list(ReferencedOffer, max_items=100, description="Each offer the redemptions reference, once")
