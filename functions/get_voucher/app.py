"""GET /vouchers/{voucherIdOrCode}: look a voucher up by id or by its exact redemption code (point of sale)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.vouchers import Voucher
from loyalty.services import vouchers


@endpoint(response=Voucher, errors=(404,))
def handler(request: Request) -> Any:
    return vouchers.lookup(request.tenant_id, request.params["voucherIdOrCode"])
