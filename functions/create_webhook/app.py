"""POST /webhooks: register a webhook endpoint; the answer holds its secret (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.webhooks import Webhook, WebhookCreate
from loyalty.services import webhooks


@endpoint(body=WebhookCreate, response=Webhook, status=201, errors=(409,))
def handler(request: Request) -> Any:
    return webhooks.create_webhook(request.caller, request.body)
