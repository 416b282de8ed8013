"""POST /redemptions/{redemptionId}/complete: a manual reward was fulfilled (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.rewards import REDEMPTION
from loyalty.services import redemptions


@endpoint(response=REDEMPTION, errors=(404, 409))
def handler(request: Request) -> Any:
    return redemptions.complete(request.caller, request.params["redemptionId"])
