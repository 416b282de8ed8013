"""GET /redemptions/{redemptionId}: one redemption."""

from loyalty.http import Request, Response, endpoint, ok
from loyalty.models.rewards import REDEMPTION
from loyalty.services import redemptions


@endpoint(response=REDEMPTION, errors=(404,))
def handler(request: Request) -> Response:
    return ok(redemptions.get_redemption(request))
