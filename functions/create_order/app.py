"""POST /orders: record an order once; it earns through the program's sale activity."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.orders import ORDER, ORDER_CREATE
from loyalty.services import orders


@endpoint(body=ORDER_CREATE, response=ORDER, status=201, errors=(404, 409))
def handler(request: Request) -> Any:
    return orders.create_order(request.caller, request.body)
