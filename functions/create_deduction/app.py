"""POST /members/{memberId}/deductions: take points, never below zero."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.ledger import DEDUCTION_CREATE, TRANSACTION
from loyalty.services import awards


@endpoint(body=DEDUCTION_CREATE, response=TRANSACTION, status=201, errors=(404, 409))
def handler(request: Request) -> Any:
    return awards.deduct(request.caller, request.params["memberId"], request.body)
