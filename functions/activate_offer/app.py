"""POST /members/{memberId}/offers/{offerId}/activation: activate (clip) an offer; again is harmless."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.offers import OfferActivation
from loyalty.services import offers


@endpoint(response=OfferActivation, errors=(404, 409))
def handler(request: Request) -> Any:
    return offers.activate(request.caller, request.params["memberId"], request.params["offerId"])
