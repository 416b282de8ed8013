"""POST /members/{memberId}/redemptions: redeem a reward (points, code, record: all or nothing)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.rewards import Redemption, RedemptionCreate
from loyalty.services import redemptions


@endpoint(body=RedemptionCreate, response=Redemption, status=201, errors=(404, 409))
def handler(request: Request) -> Any:
    return redemptions.redeem(request.caller, request.params["memberId"], request.body)
