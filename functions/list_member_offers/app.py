"""GET /members/{memberId}/offers: published, current offers the member may still use."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.offers import MemberOffer, MemberOfferQuery
from loyalty.services import offers


@endpoint(query=MemberOfferQuery, response=MemberOffer, paged=True, errors=(404, 409))
def handler(request: Request) -> Any:
    return offers.member_offers(request.tenant_id, request.params["memberId"], request.query)
