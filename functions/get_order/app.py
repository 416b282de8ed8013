"""GET /orders/{orderId}: one order."""

from loyalty.http import Request, Response, endpoint, ok
from loyalty.models.orders import ORDER
from loyalty.services import orders


@endpoint(response=ORDER, errors=(404,))
def handler(request: Request) -> Response:
    return ok(orders.get_order(request))
