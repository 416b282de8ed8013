"""POST /orders: record an order once; it earns through the program's sale activity."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.orders import Order, OrderCreate
from loyalty.services import orders


@endpoint(body=OrderCreate, response=Order, status=201, errors=(404, 409), also=(200,))
def handler(request: Request) -> Any:
    return orders.create_order(request.caller, request.body)
