"""PATCH /members/{memberId}: profile, status and (admin only) tierOverride."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.members import Member, MemberUpdate
from loyalty.services import members


@endpoint(body=MemberUpdate, response=Member, errors=(404, 409))
def handler(request: Request) -> Any:
    return members.update_member(request.caller, request.params["memberId"], request.body)
