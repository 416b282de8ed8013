"""POST /offer-redemptions: redeem an offer on an order (seed 000's body), all checks, once per order."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.offers import OfferRedemption, OfferRedemptionCreate
from loyalty.services import offer_redemptions


@endpoint(body=OfferRedemptionCreate, response=OfferRedemption, status=201, errors=(404, 409), also=(200,))
def handler(request: Request) -> Any:
    return offer_redemptions.redeem(request.caller, request.body)
