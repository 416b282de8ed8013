"""GET /members/{memberId}/rewards: each active reward with whether the member may redeem it now, and why not."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.rewards import MemberReward, MemberRewardListQuery
from loyalty.services import redemptions


@endpoint(query=MemberRewardListQuery, response=MemberReward, paged=True, errors=(404,))
def handler(request: Request) -> Any:
    return redemptions.list_member_rewards(request.tenant_id, request.params["memberId"], request.query)
