"""POST /members/{memberId}/redemptions: redeem a reward (points, code, record: all or nothing)."""

from loyalty.http import Request, Response, endpoint
from loyalty.models.rewards import REDEMPTION, REDEMPTION_CREATE
from loyalty.services import redemptions


@endpoint(body=REDEMPTION_CREATE, response=REDEMPTION, status=201, errors=(404, 409))
def handler(request: Request) -> Response:
    return redemptions.redeem(request)
