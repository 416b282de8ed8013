"""GET /offers: the offer catalog, newest first; filters status and offerCode."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.offers import OFFER, OFFER_LIST_QUERY
from loyalty.services import offers


@endpoint(query=OFFER_LIST_QUERY, response=OFFER, paged=True)
def handler(request: Request) -> Any:
    return offers.list_offers(request.tenant_id, request.query)
