"""POST /vouchers/{voucherIdOrCode}/redeem: acquired → redeemed, once, between activation and expiration."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.vouchers import VOUCHER, VOUCHER_REDEEM
from loyalty.services import vouchers


@endpoint(body=VOUCHER_REDEEM, response=VOUCHER, errors=(404, 409))
def handler(request: Request) -> Any:
    return vouchers.redeem(request.caller, request.params["voucherIdOrCode"], request.body)
