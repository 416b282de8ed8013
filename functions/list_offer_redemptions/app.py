"""GET /offer-redemptions: the program's offer redemptions, newest first; filters offerCode, from, to."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.offers import REDEMPTION, REDEMPTION_LIST_QUERY
from loyalty.services import offer_redemptions


@endpoint(query=REDEMPTION_LIST_QUERY, response=REDEMPTION, paged=True)
def handler(request: Request) -> Any:
    return offer_redemptions.list_redemptions(request.tenant_id, request.query)
