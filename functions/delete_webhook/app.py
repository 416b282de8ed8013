"""DELETE /webhooks/{webhookId}: delete a webhook endpoint, 204 (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.services import webhooks


@endpoint(status=204, errors=(404,))
def handler(request: Request) -> Any:
    return webhooks.delete_webhook(request.caller, request.params["webhookId"])
