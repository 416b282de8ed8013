"""POST /offers/{offerId}/voucher-codes: preload up to 1,000 codes into the offer's voucher-code pool (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.vouchers import VOUCHER_CODES_ADD, VOUCHER_CODES_ADDED
from loyalty.services import vouchers


@endpoint(body=VOUCHER_CODES_ADD, response=VOUCHER_CODES_ADDED, errors=(404, 409))
def handler(request: Request) -> Any:
    return vouchers.add_codes(request.caller, request.params["offerId"], request.body)
