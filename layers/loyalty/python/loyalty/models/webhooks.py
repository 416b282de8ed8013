"""Webhook endpoint shapes (§13): create, update, the endpoint as shown (with its secret: admin only), its list."""

from loyalty.models.common import Paging
from loyalty.models.events import EVENT_TYPES
from loyalty.models.types import Flag, Shape, UtcDateTime, boolean, bounded_list, one_of, text, utc_datetime

ALL_EVENTS = "*"
DISABLED_REASONS = ("paused", "failing", "gone")
EventType = one_of(*EVENT_TYPES, ALL_EVENTS, description='An event type of §13, or "*" for every type')
EventTypes = bounded_list(
    EventType,
    min_items=1,
    max_items=len(EVENT_TYPES),
    description='The event types sent to the endpoint, or ["*"] for every type (now and added later)',
)
WebhookUrl = text(
    min_len=1,
    max_len=2048,
    description="Where the events are POSTed: https, resolving only to public addresses (locally also "
    "http://127.0.0.1 or localhost); redirects are not followed",
    example="https://example.com/webhooks/loyalty",
)
Description = text(max_len=500, description="A note for people (not sent to the endpoint)")
Enabled = boolean(
    description="false pauses the endpoint; true enables it again and clears disabledReason and failingSince"
)
Secret = text(
    description="whsec_ and the standard base64 of 32 random bytes: the HMAC-SHA256 key of the signatures "
    "(Standard Webhooks); admin keys only",
    example="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw8FfaXtpYQx4=",
)


class WebhookUpdate(Shape):
    url: WebhookUrl = None
    events: EventTypes = None
    description: Description | None = None
    enabled: Enabled = None


class WebhookCreate(Shape):
    url: WebhookUrl
    events: EventTypes
    description: Description | None = None


class Webhook(Shape):
    webhookId: text(description="wh_ and a ULID", example="wh_01JD8Y7C2N4P6R8T0V2X4Z6B8D")
    url: WebhookUrl
    events: EventTypes
    description: Description | None
    enabled: Flag
    disabledReason: (
        one_of(
            *DISABLED_REASONS,
            description="Why the endpoint is disabled (null while enabled): paused (PATCH enabled false), failing "
            "(failing for 5 days straight), gone (it answered 410)",
        )
        | None
    )
    failingSince: (
        utc_datetime(
            description="When the current streak of failed deliveries began (null: the last delivery succeeded)"
        )
        | None
    )
    secret: Secret
    previousSecretExpiresAt: (
        utc_datetime(
            description="After POST …/rotate-secret the previous secret signs beside the new one until this time"
        )
        | None
    )
    createdAt: UtcDateTime
    updatedAt: UtcDateTime


class WebhookListQuery(Paging):
    """The tenant's endpoints (at most 20), newest first."""
