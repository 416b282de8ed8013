"""GET /webhooks: the program's webhook endpoints, newest first, with their secrets (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.webhooks import Webhook, WebhookListQuery
from loyalty.services import webhooks


@endpoint(query=WebhookListQuery, response=Webhook, paged=True)
def handler(request: Request) -> Any:
    return webhooks.list_webhooks(request.tenant_id, request.query)
