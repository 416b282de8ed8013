"""GET /members/{memberId}: one member with balance and tier."""

from loyalty.http import Request, Response, endpoint, ok
from loyalty.models.members import MEMBER
from loyalty.services import members


@endpoint(response=MEMBER, errors=(404,))
def handler(request: Request) -> Response:
    return ok(members.get_member(request))
