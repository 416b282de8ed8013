"""POST /members/{memberId}/reward-grants: give a member a reward without points (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.rewards import Redemption, RewardGrantCreate
from loyalty.services import reward_grants


@endpoint(body=RewardGrantCreate, response=Redemption, status=201, errors=(404, 409))
def handler(request: Request) -> Any:
    return reward_grants.grant(request.caller, request.params["memberId"], request.body)
