"""GET /rewards/{rewardId}: one reward with its stock."""

from loyalty.http import Request, Response, endpoint, ok
from loyalty.models.rewards import REWARD
from loyalty.services import rewards


@endpoint(response=REWARD, errors=(404,))
def handler(request: Request) -> Response:
    return ok(rewards.get_reward(request))
