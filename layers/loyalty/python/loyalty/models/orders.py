"""Order and order-return shapes."""

from __future__ import annotations

from loyalty.models.common import PAGING
from loyalty.schema import Array, Currency, DateTime, Id, Int, Money, Object, Str

CHANNELS = ["online", "in-store", "mobile"]

ORDER_ITEM = Object(
    "OrderItem",
    {
        "sku": Str(required=True, min_len=1, max_len=128),
        "name": Str(max_len=200),
        "quantity": Int(required=True, minimum=1, maximum=10**6),
        "unitPrice": Money(),
        "amount": Money(),
        "category": Str(max_len=100),
    },
)

ORDER_CREATE = Object(
    "OrderCreate",
    {
        "orderId": Id(required=True),
        "memberId": Id(required=True),
        "currency": Currency(description="Default: the program's currency"),
        "subtotal": Money(),
        "total": Money(required=True, description="What the points are computed from"),
        "items": Array(ORDER_ITEM, max_items=200),
        "orderedAt": DateTime(description="Default: when it is recorded"),
        "channel": Str(enum=CHANNELS, description="Default: online"),
    },
)

ORDER = Object(
    "Order",
    {
        "orderId": Str(required=True),
        "memberId": Str(required=True),
        "currency": Currency(required=True),
        "subtotal": Money(required=True, nullable=True),
        "total": Money(required=True),
        "items": Array(ORDER_ITEM, required=True, max_items=200),
        "orderedAt": DateTime(required=True),
        "channel": Str(required=True, enum=CHANNELS),
        "pointsAwarded": Int(required=True, minimum=0),
        "pointsReturned": Int(required=True, minimum=0),
        "returnedAmount": Money(required=True),
        "transactionIds": Array(Str(), required=True),
        "createdAt": DateTime(required=True),
        "updatedAt": DateTime(required=True),
    },
)

RETURN_CREATE = Object(
    "OrderReturnCreate",
    {"returnedAmount": Money(minimum="0.0001", description="Omit for a full return of what is left")},
)

ORDER_RETURN = Object(
    "OrderReturn",
    {
        "returnId": Str(required=True),
        "orderId": Str(required=True),
        "memberId": Str(required=True),
        "returnedAmount": Money(required=True),
        "points": Int(required=True, minimum=0, description="Points of the order taken back by this return"),
        "cancelledPendingPoints": Int(required=True, minimum=0),
        "deductedPoints": Int(required=True, minimum=0),
        "deficitPoints": Int(required=True, minimum=0, description="Already spent, so not taken back"),
        "transactionId": Str(required=True, nullable=True, description="The `return` transaction, if any"),
        "createdAt": DateTime(required=True),
        "order": Object("Order", ORDER.fields, required=True, description="The order after this return"),
    },
)

ORDER_LIST_QUERY = Object(None, PAGING)
