"""POST /vouchers/{voucherIdOrCode}/cancel: acquired → cancelled; a redeemed voucher can't be cancelled."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.vouchers import Voucher
from loyalty.services import vouchers


@endpoint(response=Voucher, errors=(404, 409))
def handler(request: Request) -> Any:
    return vouchers.cancel(request.caller, request.params["voucherIdOrCode"])
