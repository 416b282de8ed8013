"""PATCH /rewards/{rewardId}: change a reward (admin)."""

from loyalty.http import Request, Response, endpoint
from loyalty.models.rewards import REWARD, REWARD_UPDATE
from loyalty.services import rewards


@endpoint(body=REWARD_UPDATE, response=REWARD, errors=(404,))
def handler(request: Request) -> Response:
    return rewards.update_reward(request)
