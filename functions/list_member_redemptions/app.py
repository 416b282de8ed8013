"""GET /members/{memberId}/redemptions: a member's redemptions, newest first."""

from loyalty.http import Request, Response, endpoint
from loyalty.models.rewards import REDEMPTION, REDEMPTION_LIST_QUERY
from loyalty.services import redemptions


@endpoint(query=REDEMPTION_LIST_QUERY, response=REDEMPTION, paged=True, errors=(404,))
def handler(request: Request) -> Response:
    return redemptions.list_redemptions(request)
