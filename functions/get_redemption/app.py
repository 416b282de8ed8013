"""GET /redemptions/{redemptionId}: one redemption."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.rewards import Redemption
from loyalty.services import redemptions


@endpoint(response=Redemption, errors=(404,))
def handler(request: Request) -> Any:
    return redemptions.get_redemption(request.tenant_id, request.params["redemptionId"])
