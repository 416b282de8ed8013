"""POST /members/{memberId}/awards: award points for an activity (caps, approval method)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.ledger import AWARD_CREATE, TRANSACTION
from loyalty.services import awards


@endpoint(body=AWARD_CREATE, response=TRANSACTION, status=201, errors=(404, 409))
def handler(request: Request) -> Any:
    return awards.award(request.caller, request.params["memberId"], request.body)
