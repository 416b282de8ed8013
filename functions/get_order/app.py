"""GET /orders/{orderId}: one order."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.orders import Order
from loyalty.services import orders


@endpoint(response=Order, errors=(404,))
def handler(request: Request) -> Any:
    return orders.get_order(request.tenant_id, request.params["orderId"])
