"""POST /redemptions/{redemptionId}/complete: a manual reward was fulfilled (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.rewards import Redemption
from loyalty.services import redemptions


@endpoint(response=Redemption, errors=(404, 409))
def handler(request: Request) -> Any:
    return redemptions.complete(request.caller, request.params["redemptionId"])
