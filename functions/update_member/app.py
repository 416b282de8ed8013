"""PATCH /members/{memberId}: profile, status and (admin only) tierOverride."""

from loyalty.http import Request, Response, endpoint
from loyalty.models.members import MEMBER, MEMBER_UPDATE
from loyalty.services import members


@endpoint(body=MEMBER_UPDATE, response=MEMBER, errors=(404, 409))
def handler(request: Request) -> Response:
    return members.update_member(request)
