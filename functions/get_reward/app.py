"""GET /rewards/{rewardId}: one reward with its stock."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.rewards import Reward
from loyalty.services import rewards


@endpoint(response=Reward, errors=(404,))
def handler(request: Request) -> Any:
    return rewards.get_reward(request.tenant_id, request.params["rewardId"])
