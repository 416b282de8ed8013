"""POST /offer-redemptions/{id}/reverse: redeemed → reversed once, the use and a points offer's points given back."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.offers import OfferRedemption, OfferRedemptionReverse
from loyalty.services import offer_redemptions


@endpoint(body=OfferRedemptionReverse, response=OfferRedemption, errors=(404, 409))
def handler(request: Request) -> Any:
    return offer_redemptions.reverse(request.caller, request.params["id"], request.body)
