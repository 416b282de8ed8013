"""GET /offers/{offerId}/vouchers: an offer's vouchers, newest first, filtered by status."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.vouchers import VOUCHER, VOUCHER_LIST_QUERY
from loyalty.services import vouchers


@endpoint(query=VOUCHER_LIST_QUERY, response=VOUCHER, paged=True, errors=(404,))
def handler(request: Request) -> Any:
    return vouchers.list_offer_vouchers(request.tenant_id, request.params["offerId"], request.query)
