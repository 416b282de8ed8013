"""GET /webhooks/{webhookId}: one webhook endpoint with its secret (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.webhooks import Webhook
from loyalty.services import webhooks


@endpoint(response=Webhook, errors=(404,))
def handler(request: Request) -> Any:
    return webhooks.get_webhook(request.tenant_id, request.params["webhookId"])
