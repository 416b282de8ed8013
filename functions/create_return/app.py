"""POST /orders/{orderId}/returns: a full or partial return; the order's points are taken back (or, with
`dryRun`, a preview of it: 200, nothing written)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.orders import OrderReturn, OrderReturnCreate
from loyalty.services import orders


def _is_preview(body: OrderReturnCreate) -> bool:
    return bool(body.dryRun)


@endpoint(body=OrderReturnCreate, response=OrderReturn, status=201, errors=(404, 409), preview=_is_preview)
def handler(request: Request) -> Any:
    return orders.return_order(request.caller, request.params["orderId"], request.body)
