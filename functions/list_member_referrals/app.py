"""GET /members/{memberId}/referrals: the members this member referred, newest first."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.referrals import Referral, ReferralListQuery
from loyalty.services import referrals


@endpoint(query=ReferralListQuery, response=Referral, paged=True, errors=(404,))
def handler(request: Request) -> Any:
    return referrals.list_referrals(request.tenant_id, request.params["memberId"], request.query)
