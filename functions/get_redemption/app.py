"""GET /redemptions/{redemptionId}: one redemption."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.rewards import REDEMPTION
from loyalty.services import redemptions


@endpoint(response=REDEMPTION, errors=(404,))
def handler(request: Request) -> Any:
    return redemptions.get_redemption(request.tenant_id, request.params["redemptionId"])
