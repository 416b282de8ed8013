"""POST /offers: create an offer (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.offers import Offer, OfferCreate
from loyalty.services import offers


@endpoint(body=OfferCreate, response=Offer, status=201, errors=(409,))
def handler(request: Request) -> Any:
    return offers.create_offer(request.caller, request.body)
