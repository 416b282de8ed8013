"""POST /redemptions/{redemptionId}/cancel: cancel, refunding the points unless refund is false (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.rewards import Redemption, RedemptionCancel
from loyalty.services import redemptions


@endpoint(body=RedemptionCancel, response=Redemption, errors=(404, 409))
def handler(request: Request) -> Any:
    return redemptions.cancel(request.caller, request.params["redemptionId"], request.body)
