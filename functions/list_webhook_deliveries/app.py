"""GET /webhooks/{webhookId}/deliveries: the endpoint's deliveries with their attempts, newest first."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.deliveries import Delivery, DeliveryListQuery
from loyalty.services import webhook_delivery


@endpoint(query=DeliveryListQuery, response=Delivery, paged=True, errors=(404,))
def handler(request: Request) -> Any:
    return webhook_delivery.list_deliveries(request.tenant_id, request.params["webhookId"], request.query)
