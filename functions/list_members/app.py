"""GET /members: members newest first, by email, externalId or creation range."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.members import MEMBER, MEMBER_LIST_QUERY
from loyalty.services import members


@endpoint(query=MEMBER_LIST_QUERY, response=MEMBER, paged=True)
def handler(request: Request) -> Any:
    return members.list_members(request.tenant_id, request.query)
