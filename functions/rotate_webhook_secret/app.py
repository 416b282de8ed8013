"""POST /webhooks/{webhookId}/rotate-secret: a new secret; the old one keeps signing beside it for 24 h (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.webhooks import Webhook
from loyalty.services import webhooks


@endpoint(response=Webhook, errors=(404,))
def handler(request: Request) -> Any:
    return webhooks.rotate_secret(request.caller, request.params["webhookId"])
