"""POST /members: enrol a member (one identifier at least: email, externalId, phone, cardId; each unique)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.members import Member, MemberCreate
from loyalty.services import members


@endpoint(body=MemberCreate, response=Member, status=201, errors=(409,))
def handler(request: Request) -> Any:
    return members.create_member(request.caller, request.body)
