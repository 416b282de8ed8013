"""GET /rewards: the reward catalog with stock."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.rewards import Reward, RewardListQuery
from loyalty.services import rewards


@endpoint(query=RewardListQuery, response=Reward, paged=True)
def handler(request: Request) -> Any:
    return rewards.list_rewards(request.tenant_id, request.query)
