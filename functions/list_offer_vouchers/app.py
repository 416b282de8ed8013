"""GET /offers/{offerId}/vouchers: an offer's vouchers, newest first, filtered by status."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.vouchers import Voucher, VoucherListQuery
from loyalty.services import vouchers


@endpoint(query=VoucherListQuery, response=Voucher, paged=True, errors=(404,))
def handler(request: Request) -> Any:
    return vouchers.list_offer_vouchers(request.tenant_id, request.params["offerId"], request.query)
