"""Order and order-return shapes."""

from loyalty.models.common import Paging
from loyalty.models.types import (
    Count,
    Currency,
    Id,
    Money,
    Shape,
    Text,
    UtcDateTime,
    boolean,
    bounded_list,
    currency,
    integer,
    money,
    one_of,
    text,
    utc_datetime,
)

CHANNELS = ("online", "in-store", "mobile")
MAX_RETURNS = 100  # returns per order: an order's transactions are its awards and at most this many returns
MAX_AWARDS = 10  # awards (of as many activities) on one order (contract §10: award orders are orders)
ProgramCurrency = currency(description="Default: the program's currency")


class OrderItem(Shape):
    sku: text(min_len=1, max_len=128)
    name: text(max_len=200) = None
    quantity: integer(minimum=1, maximum=10**6)
    unitPrice: Money = None
    amount: Money = None
    category: text(max_len=100) = None


Items = bounded_list(OrderItem, max_items=200)


class OrderCreate(Shape):
    orderId: Id
    memberId: Id
    currency: ProgramCurrency = None
    subtotal: Money = None
    total: money(description="What the points are computed from")
    items: Items = None
    orderedAt: utc_datetime(description="Default: when it is recorded") = None
    channel: one_of(*CHANNELS, description="Default: online") = None


class Order(Shape):
    orderId: Text
    memberId: Text
    currency: Currency
    subtotal: Money | None
    total: Money
    items: Items
    orderedAt: UtcDateTime
    channel: one_of(*CHANNELS)
    pointsAwarded: Count
    pointsReturned: Count
    returnedAmount: Money
    transactionIds: bounded_list(Text, max_items=MAX_AWARDS + MAX_RETURNS)
    createdAt: UtcDateTime
    updatedAt: UtcDateTime


class OrderReturnCreate(Shape):
    returnedAmount: money(
        minimum="0.0001",
        description="Omit for a full return of what is left. The member keeps what the order's remaining value "
        "earns (cumulative over the order's returns)",
    ) = None
    dryRun: boolean(
        description="true: a preview, answered 200 with what the return would do (or the same 4xx); nothing "
        "is written, and an Idempotency-Key is neither stored nor replayed"
    ) = None


class OrderReturn(Shape):
    returnId: text(description="null on a preview (dryRun)") | None
    orderId: Text
    memberId: Text
    returnedAmount: Money
    points: integer(
        minimum=0,
        description="Points of the order taken back by this return: pointsAwarded - what the remaining value earns "
        "- pointsReturned before it",
    )
    cancelledPendingPoints: Count
    deductedPoints: Count
    deficitPoints: integer(minimum=0, description="Already spent, so not taken back")
    transactionId: text(description="The `return` transaction, if any (null on a preview)") | None
    createdAt: UtcDateTime
    order: Order


class OrderListQuery(Paging):
    pass
