"""Points-ledger shapes: awards, deductions, transactions and their filters, approvals, the member summary."""

from loyalty.models.common import TimeRange
from loyalty.models.members import STATUSES as MEMBER_STATUSES
from loyalty.models.members import Balance, TierRef
from loyalty.models.types import (
    Count,
    Date,
    Id,
    Points,
    Shape,
    Text,
    UtcDateTime,
    bounded_list,
    client_id,
    integer,
    one_of,
    text,
    utc_datetime,
)

TYPES = ("award", "deduct", "redeem", "return", "expire", "refund", "import")  # import: an opening balance (§14)
STATUSES = ("pending", "approved", "auto_approved", "rejected", "expired")
Reason = text(min_len=1, max_len=500, description="Why, for the member's statement")
Positive = integer(minimum=1)


class AwardCreate(Shape):
    activityId: Id
    points: integer(
        minimum=1,
        maximum=10**9,
        description="Fixed activity: overrides its points. Multiplier activity: the base value (required)",
    ) = None
    orderId: client_id(
        description="Earns once per activity, permanently. Through a multiplier activity the award records this "
        "order (total: the base value `points`) or joins it, and returns take it back"
    ) = None
    reason: Reason = None


class DeductionCreate(Shape):
    points: Points
    reason: Reason


class Rejection(Shape):
    reason: Reason


class BalanceAfter(Shape):
    available: Count
    pending: Count


class Transaction(Shape):
    transactionId: Text
    memberId: Text
    type: one_of(*TYPES)
    points: integer(minimum=1, description="Positive; the type gives the sign")
    status: one_of(*STATUSES)
    activityId: Text | None
    activityName: Text | None
    orderId: Text | None
    rewardId: Text | None
    redemptionId: Text | None
    reason: Text | None
    createdAt: UtcDateTime
    approvedAt: UtcDateTime | None
    autoApprovalDate: UtcDateTime | None
    expiresAt: utc_datetime(description="When the points of an approved award lapse") | None
    cancelledPoints: integer(minimum=0, description="Pending points cancelled by order returns")
    returnedPoints: integer(minimum=0, description="Approved points taken back by order returns")
    deficitPoints: integer(minimum=0, description="Of a return: points already spent")
    balanceAfter: BalanceAfter


class TransactionListQuery(TimeRange):
    status: one_of(*STATUSES) = None
    type: one_of(*TYPES) = None


class ExpiringPoints(Shape):
    date: Date
    points: Positive


class LastAward(Shape):
    date: UtcDateTime
    points: Positive
    activityName: Text | None


class MemberSummary(Shape):
    memberId: Text
    status: one_of(*MEMBER_STATUSES)
    balance: Balance
    tier: TierRef | None
    nextTier: TierRef | None
    pointsToNextTier: Count | None
    expirationSchedule: bounded_list(
        ExpiringPoints, max_items=4000, description="Unspent points by the last day they can be spent, soonest first"
    )
    lastAward: LastAward | None
