"""DELETE /members/{memberId}: erase personal data, keep the ledger (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.members import Member
from loyalty.services import members


@endpoint(response=Member, errors=(404,))
def handler(request: Request) -> Any:
    return members.erase_member(request.caller, request.params["memberId"])
