"""DELETE /members/{memberId}/offers/{offerId}/activation: deactivate (unclip) an offer."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.offers import OfferActivation
from loyalty.services import offers


@endpoint(response=OfferActivation, errors=(404, 409))
def handler(request: Request) -> Any:
    return offers.deactivate(request.caller, request.params["memberId"], request.params["offerId"])
