"""POST /offers/{offerId}/voucher-codes: preload up to 1,000 codes into the offer's voucher-code pool (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.vouchers import VoucherCodesAdd, VoucherCodesAdded
from loyalty.services import vouchers


@endpoint(body=VoucherCodesAdd, response=VoucherCodesAdded, errors=(404, 409))
def handler(request: Request) -> Any:
    return vouchers.add_codes(request.caller, request.params["offerId"], request.body)
