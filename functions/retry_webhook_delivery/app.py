"""POST /webhooks/{webhookId}/deliveries/{deliveryId}/retry: send the delivery again now (the same event id)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.deliveries import Delivery
from loyalty.services import webhook_delivery


@endpoint(response=Delivery, errors=(404,))
def handler(request: Request) -> Any:
    return webhook_delivery.retry(request.caller, request.params["webhookId"], request.params["deliveryId"])
