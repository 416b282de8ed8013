"""PATCH /webhooks/{webhookId}: change an endpoint's URL, event types, description, or pause / enable it (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.webhooks import Webhook, WebhookUpdate
from loyalty.services import webhooks


@endpoint(body=WebhookUpdate, response=Webhook, errors=(404,))
def handler(request: Request) -> Any:
    return webhooks.update_webhook(request.caller, request.params["webhookId"], request.body)
