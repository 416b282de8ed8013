"""POST /rewards: create a reward (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.rewards import REWARD, REWARD_CREATE
from loyalty.services import rewards


@endpoint(body=REWARD_CREATE, response=REWARD, status=201, errors=(409,))
def handler(request: Request) -> Any:
    return rewards.create_reward(request.caller, request.body)
