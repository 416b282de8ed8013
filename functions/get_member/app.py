"""GET /members/{memberId}: one member with balance and tier."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.members import Member
from loyalty.services import members


@endpoint(response=Member, errors=(404,))
def handler(request: Request) -> Any:
    return members.get_member(request.tenant_id, request.params["memberId"])
