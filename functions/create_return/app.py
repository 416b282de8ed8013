"""POST /orders/{orderId}/returns: a full or partial return; the order's points are taken back."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.orders import OrderReturn, OrderReturnCreate
from loyalty.services import orders


@endpoint(body=OrderReturnCreate, response=OrderReturn, status=201, errors=(404, 409))
def handler(request: Request) -> Any:
    return orders.return_order(request.caller, request.params["orderId"], request.body)
