"""Points-ledger shapes: awards, deductions, transactions and their filters, approvals, the member summary."""

from __future__ import annotations

from loyalty.models.common import PAGING, TIME_RANGE
from loyalty.models.members import BALANCE, TIER_REF
from loyalty.models.members import STATUSES as MEMBER_STATUSES
from loyalty.schema import Array, Date, DateTime, Id, Int, Object, Str

POINTS = Int(minimum=1, maximum=10**9)
TYPES = ["award", "deduct", "redeem", "return", "expire", "refund"]
STATUSES = ["pending", "approved", "auto_approved", "rejected", "expired"]


def _reason(required: bool = False) -> Str:
    return Str(required=required, min_len=1, max_len=500, description="Why, for the member's statement")


AWARD_CREATE = Object(
    "AwardCreate",
    {
        "activityId": Id(required=True),
        "points": Int(
            minimum=1,
            maximum=10**9,
            description="Fixed activity: overrides its points. Multiplier activity: the base value (required)",
        ),
        "orderId": Id(description="Earns once per activity, permanently"),
        "reason": _reason(),
    },
)

DEDUCTION_CREATE = Object(
    "DeductionCreate", {"points": Int(required=True, minimum=1, maximum=10**9), "reason": _reason(required=True)}
)

REJECTION = Object("Rejection", {"reason": _reason(required=True)})

TRANSACTION = Object(
    "Transaction",
    {
        "transactionId": Str(required=True),
        "memberId": Str(required=True),
        "type": Str(required=True, enum=TYPES),
        "points": Int(required=True, minimum=1, description="Positive; the type gives the sign"),
        "status": Str(required=True, enum=STATUSES),
        "activityId": Str(required=True, nullable=True),
        "activityName": Str(required=True, nullable=True),
        "orderId": Str(required=True, nullable=True),
        "rewardId": Str(required=True, nullable=True),
        "redemptionId": Str(required=True, nullable=True),
        "reason": Str(required=True, nullable=True),
        "createdAt": DateTime(required=True),
        "approvedAt": DateTime(required=True, nullable=True),
        "autoApprovalDate": DateTime(required=True, nullable=True),
        "expiresAt": DateTime(required=True, nullable=True, description="When the points of an approved award lapse"),
        "cancelledPoints": Int(required=True, minimum=0, description="Pending points cancelled by order returns"),
        "returnedPoints": Int(required=True, minimum=0, description="Approved points taken back by order returns"),
        "deficitPoints": Int(required=True, minimum=0, description="Of a return: points already spent"),
        "balanceAfter": Object(
            "BalanceAfter",
            {"available": Int(required=True, minimum=0), "pending": Int(required=True, minimum=0)},
            required=True,
        ),
    },
)

TRANSACTION_LIST_QUERY = Object(None, {**PAGING, **TIME_RANGE, "status": Str(enum=STATUSES), "type": Str(enum=TYPES)})

SUMMARY = Object(
    "MemberSummary",
    {
        "memberId": Str(required=True),
        "status": Str(required=True, enum=MEMBER_STATUSES),
        "balance": BALANCE,
        "tier": TIER_REF,
        "nextTier": TIER_REF,
        "pointsToNextTier": Int(required=True, nullable=True, minimum=0),
        "expirationSchedule": Array(
            Object("ExpiringPoints", {"date": Date(required=True), "points": Int(required=True, minimum=1)}),
            required=True,
            max_items=4000,
            description="Unspent points by the last day they can be spent, soonest first",
        ),
        "lastAward": Object(
            "LastAward",
            {
                "date": DateTime(required=True),
                "points": Int(required=True, minimum=1),
                "activityName": Str(required=True, nullable=True),
            },
            required=True,
            nullable=True,
        ),
    },
)
