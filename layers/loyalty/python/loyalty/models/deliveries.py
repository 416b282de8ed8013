"""Webhook delivery shapes (§13): a delivery with its attempts, the deliveries' list query."""

from loyalty.models.common import Paging
from loyalty.models.events import EVENT_TYPES
from loyalty.models.types import Shape, Text, integer, one_of, text, utc_datetime

StatusCode = integer(minimum=100, maximum=599, description="The receiver's HTTP status; null when it did not answer")
AttemptError = text(
    description="Why no status came back (a timeout, a refused connection, a refused URL)",
    example="TimeoutError: timed out",
)


class DeliveryAttempt(Shape):
    at: utc_datetime(description="When the attempt ended")
    statusCode: StatusCode | None = None
    durationMs: integer(minimum=0, description="How long the attempt took")
    error: AttemptError | None = None


class Delivery(Shape):
    deliveryId: text(
        description="dlv_ and a ULID: one per event and endpoint", example="dlv_01JD8Y7C2N4P6R8T0V2X4Z6B8D"
    )
    webhookId: Text
    eventId: text(
        description="The event's id, sent as webhook-id on every attempt", example="evt_01JD8Y7C2N4P6R8T0V2X4Z6B8D"
    )
    type: one_of(*EVENT_TYPES)
    status: one_of("pending", "succeeded", "failed")
    attempts: integer(minimum=0, description="Attempts made")
    lastStatusCode: integer(minimum=100, maximum=599, description="The last attempt's HTTP status") | None = None
    nextAttemptAt: utc_datetime(description="When the next attempt is due (pending only)") | None = None
    attemptLog: list[DeliveryAttempt]
    stoppedReason: (
        one_of(
            "endpoint_deleted",
            "endpoint_disabled",
            "event_expired",
            description="Why a failed delivery ended without another attempt (null otherwise)",
        )
        | None
    ) = None


class DeliveryListQuery(Paging):
    """An endpoint's deliveries, newest first."""
