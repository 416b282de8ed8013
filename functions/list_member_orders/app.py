"""GET /members/{memberId}/orders: a member's orders, newest first."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.orders import Order, OrderListQuery
from loyalty.services import orders


@endpoint(query=OrderListQuery, response=Order, paged=True, errors=(404,))
def handler(request: Request) -> Any:
    return orders.list_member_orders(request.tenant_id, request.params["memberId"], request.query)
