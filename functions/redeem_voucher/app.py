"""POST /vouchers/{voucherIdOrCode}/redeem: acquired → redeemed, once, between activation and expiration."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.vouchers import Voucher, VoucherRedeem
from loyalty.services import vouchers


@endpoint(body=VoucherRedeem, response=Voucher, errors=(404, 409))
def handler(request: Request) -> Any:
    return vouchers.redeem(request.caller, request.params["voucherIdOrCode"], request.body)
