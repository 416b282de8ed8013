"""GET /rewards: the reward catalog with stock."""

from loyalty.http import Request, Response, endpoint
from loyalty.models.rewards import REWARD, REWARD_LIST_QUERY
from loyalty.services import rewards


@endpoint(query=REWARD_LIST_QUERY, response=REWARD, paged=True)
def handler(request: Request) -> Response:
    return rewards.list_rewards(request)
