"""GET /redemptions: the program's redemptions, newest first."""

from loyalty.http import Request, Response, endpoint
from loyalty.models.rewards import REDEMPTION, REDEMPTION_LIST_QUERY
from loyalty.services import redemptions


@endpoint(query=REDEMPTION_LIST_QUERY, response=REDEMPTION, paged=True)
def handler(request: Request) -> Response:
    return redemptions.list_redemptions(request)
