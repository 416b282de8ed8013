"""GET /vouchers/{voucherIdOrCode}: look a voucher up by id or by its exact redemption code (point of sale)."""

from loyalty.http import Request, Response, endpoint, ok
from loyalty.models.vouchers import VOUCHER
from loyalty.services import vouchers


@endpoint(response=VOUCHER, errors=(404,))
def handler(request: Request) -> Response:
    return ok(vouchers.lookup(request.tenant_id, request.params["voucherIdOrCode"]))
