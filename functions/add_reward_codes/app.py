"""POST /rewards/{rewardId}/codes: add up to 1,000 coupon codes to the pool (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.rewards import RewardCodesAdd, RewardCodesAdded
from loyalty.services import rewards


@endpoint(body=RewardCodesAdd, response=RewardCodesAdded, errors=(404, 409))
def handler(request: Request) -> Any:
    return rewards.add_codes(request.caller, request.params["rewardId"], request.body)
