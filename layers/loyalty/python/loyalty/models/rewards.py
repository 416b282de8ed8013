"""Reward catalog, coupon-code pool and reward-redemption shapes."""

from loyalty.models.common import Paging, TimeRange
from loyalty.models.segments import ExcludedSegmentIds, SegmentIds
from loyalty.models.types import (
    Count,
    Currency,
    Date,
    Flag,
    Id,
    Money,
    Shape,
    Text,
    UtcDateTime,
    boolean,
    bounded_list,
    calendar_date,
    currency,
    integer,
    one_of,
    text,
    utc_datetime,
)

FULFILMENTS = ("coupon", "manual")
REDEMPTION_STATUSES = ("issued", "pending", "completed", "cancelled")
Code = text(
    min_len=1,
    max_len=128,
    pattern=r"^[\x21-\x7e]+$",
    description="Printable, no spaces; case-insensitive (stored upper-case)",
)
Name = text(min_len=1, max_len=200)
LongText = text(max_len=4000, multiline=True)
Cost = integer(minimum=1, maximum=10**9)
Fulfilment = one_of(*FULFILMENTS, description="coupon: a code from the pool; manual")
CouponExpiry = calendar_date(description="The last day the coupon codes are valid")
TierIds = bounded_list(Id, max_items=20, description="Tiers that may redeem; empty = every tier")
PerMember = integer(minimum=1, maximum=10**6, description="Redemptions per member; null = no limit")
# Period limits and dates (contract section 10): maxPerMember counts in the UTC calendar window of the
# server's clock at commit, as activity caps do (services.awards.window).
INTERVALS = ("day", "week", "month", "year", "lifetime")
PerMemberInterval = one_of(*INTERVALS, description="The UTC calendar window maxPerMember counts in (default lifetime)")
Start = utc_datetime(description="Redeemable from (null: at once)")
End = utc_datetime(description="Redeemable until (null: no end); after startDate")
ProgramCurrency = currency(description="Default: the program's currency")


class RewardUpdate(Shape):
    name: Name = None
    description: text(max_len=2000, multiline=True) | None = None
    pointsCost: Cost = None
    value: Money | None = None
    currency: ProgramCurrency = None
    isActive: Flag = None
    termsText: LongText | None = None
    instructions: LongText | None = None
    couponExpiry: CouponExpiry | None = None
    tierIds: TierIds = None
    maxPerMember: PerMember | None = None
    maxPerMemberInterval: PerMemberInterval = None
    startDate: Start | None = None
    endDate: End | None = None
    segmentIds: SegmentIds = None
    excludedSegmentIds: ExcludedSegmentIds = None


class _RewardId(Shape):
    rewardId: Id


class RewardCreate(RewardUpdate, _RewardId):
    name: Name
    pointsCost: Cost
    fulfillment: Fulfilment


class RewardStock(Shape):
    total: integer(minimum=0, description="Codes ever added (null: manual)") | None
    available: Count | None
    issued: Count


class Reward(Shape):
    rewardId: Text
    name: Name
    description: text(max_len=2000, multiline=True) | None
    pointsCost: Cost
    value: Money | None
    currency: ProgramCurrency
    isActive: Flag
    termsText: LongText | None
    instructions: LongText | None
    couponExpiry: CouponExpiry | None
    tierIds: TierIds
    maxPerMember: PerMember | None
    maxPerMemberInterval: PerMemberInterval
    startDate: Start | None
    endDate: End | None
    fulfillment: one_of(*FULFILMENTS)
    segmentIds: SegmentIds
    excludedSegmentIds: ExcludedSegmentIds
    stock: RewardStock
    createdAt: UtcDateTime
    updatedAt: UtcDateTime


class RewardListQuery(Paging):
    isActive: boolean(query=True) = None


# GET /members/{memberId}/rewards (contract section 10): the reasons in the order POST /members/{id}/redemptions
# checks them (services.redemptions.ineligible_reasons); the first is the refusal that POST would answer.
REASONS = (
    "member_inactive",
    "not_started",
    "ended",
    "coupon_expired",
    "tier",
    "segment",
    "member_limit_reached",
    "insufficient_points",
    "out_of_stock",
)


class MemberRewardListQuery(Paging):
    eligible: boolean(
        query=True, description="true: only the rewards the member may redeem now; false: only those it may not"
    ) = None


class MemberReward(Reward):
    eligible: boolean(description="Whether POST /members/{memberId}/redemptions would redeem it now")
    ineligibleReasons: bounded_list(
        one_of(*REASONS), max_items=len(REASONS), description="In the order the redemption checks them"
    )


class RewardCodesAdd(Shape):
    codes: bounded_list(Code, min_items=1, max_items=1000)


class RewardCodesAdded(Shape):
    added: Count
    skipped: Count
    stock: RewardStock


class RedemptionCreate(Shape):
    rewardId: Id


class RedemptionCancel(Shape):
    reason: text(min_len=1, max_len=500)
    refund: boolean(description="Give the points back as a refund transaction (default true)") = None


class Redemption(Shape):
    redemptionId: Text
    memberId: Text
    rewardId: Text
    rewardName: Text
    points: integer(minimum=0, description="0: a reward grant (no points moved, no transaction)")
    value: Money | None
    currency: Currency
    couponCode: Text | None
    couponExpiry: Date | None
    status: one_of(*REDEMPTION_STATUSES)
    transactionId: Text | None  # null for a reward grant
    refundTransactionId: Text | None
    cancelReason: Text | None
    grantedBy: text(description="A reward grant: the API key id (or OAuth client id) that granted it") | None
    reason: text(description="A reward grant: why it was given") | None
    createdAt: UtcDateTime
    updatedAt: UtcDateTime


class RedemptionListQuery(TimeRange):
    status: one_of(*REDEMPTION_STATUSES) = None


# Reward grants (contract section 11, services/reward_grants.py): a reward given without points.
class RewardGrantCreate(Shape):
    rewardId: Id
    reason: text(min_len=1, max_len=500, description="Why the reward is given (service recovery)")
