"""POST /vouchers/{voucherIdOrCode}/redeem: acquired → redeemed, once, between activation and expiration."""

from loyalty.http import Request, Response, endpoint
from loyalty.models.vouchers import VOUCHER, VOUCHER_REDEEM
from loyalty.services import vouchers


@endpoint(body=VOUCHER_REDEEM, response=VOUCHER, errors=(404, 409))
def handler(request: Request) -> Response:
    return vouchers.redeem(request, request.params["voucherIdOrCode"], request.body)
