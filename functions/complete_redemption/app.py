"""POST /redemptions/{redemptionId}/complete: a manual reward was fulfilled (admin)."""

from loyalty.http import Request, Response, endpoint
from loyalty.models.rewards import REDEMPTION
from loyalty.services import redemptions


@endpoint(response=REDEMPTION, errors=(404, 409))
def handler(request: Request) -> Response:
    return redemptions.complete(request)
