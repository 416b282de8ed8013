"""Voucher shapes: issue, the offer's code pool, the voucher itself, list query, redeem."""

from loyalty.models.common import Paging
from loyalty.models.types import (
    Count,
    Date,
    Shape,
    Text,
    UtcDateTime,
    bounded_list,
    calendar_date,
    client_id,
    integer,
    one_of,
    text,
)

VOUCHER_STATUSES = ("acquired", "redeemed", "cancelled")
# Codes travel in paths (GET /vouchers/{voucherIdOrCode}), so they use the path-safe client-id characters.
VoucherCode = text(
    min_len=4,
    max_len=128,
    pattern=r"^[A-Za-z0-9._:@$-]{4,128}$",
    description="4-128 of [A-Za-z0-9._:@$-], case-insensitive (stored upper-case); not shaped like a voucher id",
)


class VoucherIssue(Shape):
    memberId: client_id(description="The member it is issued to (or give customerName)") = None
    customerName: text(min_len=1, max_len=200, description="The customer's name; default: the member's name") = None
    activationDate: calendar_date(
        description="First day it can be redeemed; default and lower bound: the offer's start"
    ) = None
    expirationDate: calendar_date(
        description="Last day it can be redeemed; default and upper bound: the offer's end"
    ) = None


class VoucherCodeStock(Shape):
    total: integer(minimum=0, description="Codes ever added to the offer's pool")
    available: integer(minimum=0, description="Codes not yet issued")
    issued: integer(minimum=0, description="Codes taken from the pool by vouchers")


class VoucherCodesAdd(Shape):
    codes: bounded_list(VoucherCode, min_items=1, max_items=1000)


class VoucherCodesAdded(Shape):
    added: Count
    skipped: integer(minimum=0, description="Repeated in the request or already known in the program")
    stock: VoucherCodeStock


class Voucher(Shape):
    voucherId: Text
    offerId: Text
    redemptionCode: text(description="A bearer secret: whoever holds it can redeem")
    memberId: Text | None
    customerName: Text | None
    status: one_of(*VOUCHER_STATUSES)
    acquiredAt: UtcDateTime
    redeemedAt: UtcDateTime | None
    cancelledAt: UtcDateTime | None
    activationDate: Date | None
    expirationDate: Date | None
    orderId: text(description="The order it was redeemed on") | None


class VoucherListQuery(Paging):
    status: one_of(*VOUCHER_STATUSES) = None


class VoucherRedeem(Shape):
    orderId: client_id(description="The order the voucher is redeemed on") = None
    offerId: text(
        min_len=1, max_len=128, description="The offer the voucher must belong to; a voucher of another offer is a 404"
    ) = None
