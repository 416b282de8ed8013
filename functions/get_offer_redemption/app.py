"""GET /offer-redemptions/{id}: one offer redemption."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.offers import OfferRedemption
from loyalty.services import offer_redemptions


@endpoint(response=OfferRedemption, errors=(404,))
def handler(request: Request) -> Any:
    return offer_redemptions.get_redemption(request.tenant_id, request.params["id"])
