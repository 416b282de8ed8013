"""GET /offers/{offerId}/vouchers/{voucherId}: one voucher of an offer."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.vouchers import VOUCHER
from loyalty.services import vouchers


@endpoint(response=VOUCHER, errors=(404,))
def handler(request: Request) -> Any:
    return vouchers.get_offer_voucher(request.tenant_id, request.params["offerId"], request.params["voucherId"])
