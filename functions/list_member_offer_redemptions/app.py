"""GET /members/{memberId}/offer-redemptions: a member's offer redemptions and each offer they reference once."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.offers import MEMBER_REDEMPTIONS, MEMBER_REDEMPTIONS_QUERY
from loyalty.services import offer_redemptions


@endpoint(query=MEMBER_REDEMPTIONS_QUERY, response=MEMBER_REDEMPTIONS, paged=True, errors=(404,))
def handler(request: Request) -> Any:
    return offer_redemptions.member_redemptions(request.tenant_id, request.params["memberId"], request.query)
