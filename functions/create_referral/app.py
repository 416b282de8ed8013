"""POST /members/{memberId}/referral: record who referred the member, with both referral awards, once."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.referrals import Referral, ReferralCreate
from loyalty.services import referrals


@endpoint(body=ReferralCreate, response=Referral, status=201, errors=(404, 409))
def handler(request: Request) -> Any:
    return referrals.refer(request.caller, request.params["memberId"], request.body)
