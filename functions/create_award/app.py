"""POST /members/{memberId}/awards: award points for an activity (caps, approval method)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.ledger import AwardCreate, Transaction
from loyalty.services import awards


@endpoint(body=AwardCreate, response=Transaction, status=201, errors=(404, 409))
def handler(request: Request) -> Any:
    return awards.award(request.caller, request.params["memberId"], request.body)
