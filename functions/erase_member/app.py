"""DELETE /members/{memberId}: erase personal data, keep the ledger (admin)."""

from loyalty.http import Request, Response, endpoint
from loyalty.models.members import MEMBER
from loyalty.services import members


@endpoint(response=MEMBER, errors=(404,))
def handler(request: Request) -> Response:
    return members.erase_member(request)
