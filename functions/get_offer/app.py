"""GET /offers/{offerId}: one offer with its redemptionCount."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.offers import Offer
from loyalty.services import offers


@endpoint(response=Offer, errors=(404,))
def handler(request: Request) -> Any:
    return offers.get_offer(request.tenant_id, request.params["offerId"])
