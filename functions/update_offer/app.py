"""PATCH /offers/{offerId}: update an offer; status moves forward only (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.offers import Offer, OfferUpdate
from loyalty.services import offers


@endpoint(body=OfferUpdate, response=Offer, errors=(404, 409))
def handler(request: Request) -> Any:
    return offers.update_offer(request.caller, request.params["offerId"], request.body)
