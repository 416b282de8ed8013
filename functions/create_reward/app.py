"""POST /rewards: create a reward (admin)."""

from loyalty.http import Request, Response, endpoint
from loyalty.models.rewards import REWARD, REWARD_CREATE
from loyalty.services import rewards


@endpoint(body=REWARD_CREATE, response=REWARD, status=201, errors=(409,))
def handler(request: Request) -> Response:
    return rewards.create_reward(request)
