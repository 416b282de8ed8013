"""POST /redemptions/{redemptionId}/cancel: cancel, refunding the points unless refund is false (admin)."""

from loyalty.http import Request, Response, endpoint
from loyalty.models.rewards import CANCELLATION, REDEMPTION
from loyalty.services import redemptions


@endpoint(body=CANCELLATION, response=REDEMPTION, errors=(404, 409))
def handler(request: Request) -> Response:
    return redemptions.cancel(request)
