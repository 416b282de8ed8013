"""GET /members/{memberId}/offer-redemptions: a member's offer redemptions and each offer they reference once."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.offers import MemberOfferRedemptions, MemberRedemptionsQuery
from loyalty.services import offer_redemptions


@endpoint(query=MemberRedemptionsQuery, response=MemberOfferRedemptions, paged=True, errors=(404,))
def handler(request: Request) -> Any:
    return offer_redemptions.member_redemptions(request.tenant_id, request.params["memberId"], request.query)
