"""POST /vouchers/{voucherIdOrCode}/cancel: acquired → cancelled; a redeemed voucher can't be cancelled."""

from loyalty.http import Request, Response, endpoint
from loyalty.models.vouchers import VOUCHER
from loyalty.services import vouchers


@endpoint(response=VOUCHER, errors=(404, 409))
def handler(request: Request) -> Response:
    return vouchers.cancel(request, request.params["voucherIdOrCode"])
