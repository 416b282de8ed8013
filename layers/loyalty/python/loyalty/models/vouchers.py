"""Voucher shapes: issue, the offer's code pool, the voucher itself, list query, redeem."""

from __future__ import annotations

from loyalty.models.common import PAGING
from loyalty.schema import Array, Date, DateTime, Id, Int, Object, Str

VOUCHER_STATUSES = ["acquired", "redeemed", "cancelled"]
# Codes travel in paths (GET /vouchers/{voucherIdOrCode}), so they use the path-safe client-id characters.
VOUCHER_CODE = Str(
    min_len=4,
    max_len=128,
    pattern=r"^[A-Za-z0-9._:@$-]{4,128}$",
    description="4-128 of [A-Za-z0-9._:@$-], case-sensitive; not shaped like a voucher id (26-char ULID)",
)

VOUCHER_ISSUE = Object(
    "VoucherIssue",
    {
        "memberId": Id(description="The member it is issued to (or give customerName)"),
        "customerName": Str(min_len=1, max_len=200, description="The customer's name; default: the member's name"),
        "activationDate": Date(description="First day it can be redeemed; default and lower bound: the offer's start"),
        "expirationDate": Date(description="Last day it can be redeemed; default and upper bound: the offer's end"),
    },
)

VOUCHER_STOCK = Object(
    "VoucherCodeStock",
    {
        "total": Int(required=True, minimum=0, description="Codes ever added to the offer's pool"),
        "available": Int(required=True, minimum=0, description="Codes not yet issued"),
        "issued": Int(required=True, minimum=0, description="Codes taken from the pool by vouchers"),
    },
    required=True,
)
VOUCHER_CODES_ADD = Object(
    "VoucherCodesAdd", {"codes": Array(VOUCHER_CODE, required=True, min_items=1, max_items=1000)}
)
VOUCHER_CODES_ADDED = Object(
    "VoucherCodesAdded",
    {
        "added": Int(required=True, minimum=0),
        "skipped": Int(required=True, minimum=0, description="Repeated in the request or already known in the program"),
        "stock": VOUCHER_STOCK,
    },
)

VOUCHER = Object(
    "Voucher",
    {
        "voucherId": Str(required=True),
        "offerId": Str(required=True),
        "redemptionCode": Str(required=True, description="A bearer secret: whoever holds it can redeem"),
        "memberId": Str(required=True, nullable=True),
        "customerName": Str(required=True, nullable=True),
        "status": Str(required=True, enum=VOUCHER_STATUSES),
        "acquiredAt": DateTime(required=True),
        "redeemedAt": DateTime(required=True, nullable=True),
        "cancelledAt": DateTime(required=True, nullable=True),
        "activationDate": Date(required=True, nullable=True),
        "expirationDate": Date(required=True, nullable=True),
        "orderId": Str(required=True, nullable=True, description="The order it was redeemed on"),
    },
)
VOUCHER_LIST_QUERY = Object(None, {**PAGING, "status": Str(enum=VOUCHER_STATUSES)})
VOUCHER_REDEEM = Object("VoucherRedeem", {"orderId": Id(description="The order the voucher is redeemed on")})
