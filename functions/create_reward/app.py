"""POST /rewards: create a reward (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.rewards import Reward, RewardCreate
from loyalty.services import rewards


@endpoint(body=RewardCreate, response=Reward, status=201, errors=(409,))
def handler(request: Request) -> Any:
    return rewards.create_reward(request.caller, request.body)
