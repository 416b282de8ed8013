"""GET /offers/{offerId}/vouchers/{voucherId}: one voucher of an offer."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.vouchers import Voucher
from loyalty.services import vouchers


@endpoint(response=Voucher, errors=(404,))
def handler(request: Request) -> Any:
    return vouchers.get_offer_voucher(request.tenant_id, request.params["offerId"], request.params["voucherId"])
