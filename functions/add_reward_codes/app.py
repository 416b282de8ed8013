"""POST /rewards/{rewardId}/codes: add up to 1,000 coupon codes to the pool (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.rewards import CODES_ADD, CODES_ADDED
from loyalty.services import rewards


@endpoint(body=CODES_ADD, response=CODES_ADDED, errors=(404, 409))
def handler(request: Request) -> Any:
    return rewards.add_codes(request.caller, request.params["rewardId"], request.body)
