"""GET /offers: the offer catalog, newest first; filters status and offerCode."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.offers import Offer, OfferListQuery
from loyalty.services import offers


@endpoint(query=OfferListQuery, response=Offer, paged=True)
def handler(request: Request) -> Any:
    return offers.list_offers(request.tenant_id, request.query)
