"""Event shapes (§13): an event of the stream, its list query."""

from typing import Any

from pydantic import Field

from loyalty.models.common import TimeRange
from loyalty.models.types import Shape, Text, UtcDateTime, one_of, text

# Every event type of §13, in the contract's order: what an event's `type` may be and what a webhook may subscribe
# to (models/webhooks.py). The builder (services/events.py) makes most; `points.expiring_soon` comes from the daily
# job, `import.completed` with its entity; `challenge.responded` from a challenge response (issue 25).
EVENT_TYPES = (
    "member.created",
    "member.updated",
    "member.erased",
    "points.awarded",
    "points.deducted",
    "points.approved",
    "points.rejected",
    "points.redeemed",
    "points.returned",
    "points.refunded",
    "points.expired",
    "points.expiring_soon",
    "tier.changed",
    "redemption.created",
    "redemption.completed",
    "redemption.cancelled",
    "offer.activated",
    "offer.redeemed",
    "offer.reversed",
    "voucher.issued",
    "voucher.redeemed",
    "voucher.cancelled",
    "challenge.responded",
    "referral.completed",
    "import.completed",
)


class Event(Shape):
    id: text(
        description="evt_ and a ULID of the event's time: one state change, one id (however often delivered)",
        example="evt_01JD8Y7C2N4P6R8T0V2X4Z6B8D",
    )
    type: one_of(*EVENT_TYPES)
    timestamp: UtcDateTime
    tenantId: Text
    data: dict[str, Any] = Field(
        description="The resource as the API shows it (a member, a transaction, a redemption, a voucher, ...); "
        "tier.changed: the member with its `previousTier`; points.expiring_soon: `memberId`, `points` (unspent), "
        "`date` (the lot's last day), `expiresAt`, `expiryNoticeDays`",
        json_schema_extra={
            "example": {
                "transactionId": "01JD8Y7C2N4P6R8T0V2X4Z6B8D",
                "memberId": "01JD8Y6ZQ4M0W3E5R7T9V1X2YA",
                "type": "award",
                "points": 120,
                "status": "approved",
            }
        },
    )


class EventListQuery(TimeRange):
    """Events of the last 30 days (an earlier `from` reads from 30 days ago), newest first."""

    type: one_of(*EVENT_TYPES) = None
