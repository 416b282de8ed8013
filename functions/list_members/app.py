"""GET /members: members newest first (creation range), by an identifier, or by the prefix search `q`."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.members import Member, MemberListQuery
from loyalty.services import members


@endpoint(query=MemberListQuery, response=Member, paged=True)
def handler(request: Request) -> Any:
    return members.list_members(request.tenant_id, request.query)
