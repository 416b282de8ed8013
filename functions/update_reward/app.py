"""PATCH /rewards/{rewardId}: change a reward (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.rewards import Reward, RewardUpdate
from loyalty.services import rewards


@endpoint(body=RewardUpdate, response=Reward, errors=(404,))
def handler(request: Request) -> Any:
    return rewards.update_reward(request.caller, request.params["rewardId"], request.body)
