"""GET /offer-redemptions: the program's offer redemptions, newest first; filters offerCode, from, to."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.offers import OfferRedemption, OfferRedemptionListQuery
from loyalty.services import offer_redemptions


@endpoint(query=OfferRedemptionListQuery, response=OfferRedemption, paged=True)
def handler(request: Request) -> Any:
    return offer_redemptions.list_redemptions(request.tenant_id, request.query)
