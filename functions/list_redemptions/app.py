"""GET /redemptions: the program's redemptions, newest first."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.rewards import Redemption, RedemptionListQuery
from loyalty.services import redemptions


@endpoint(query=RedemptionListQuery, response=Redemption, paged=True)
def handler(request: Request) -> Any:
    return redemptions.list_redemptions(request.tenant_id, request.query)
