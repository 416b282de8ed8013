"""GET /members: members newest first, by email, externalId or creation range."""

from loyalty.http import Request, Response, endpoint
from loyalty.models.members import MEMBER, MEMBER_LIST_QUERY
from loyalty.services import members


@endpoint(query=MEMBER_LIST_QUERY, response=MEMBER, paged=True)
def handler(request: Request) -> Response:
    return members.list_members(request)
