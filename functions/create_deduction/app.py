"""POST /members/{memberId}/deductions: take points, never below zero."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.ledger import DeductionCreate, Transaction
from loyalty.services import awards


@endpoint(body=DeductionCreate, response=Transaction, status=201, errors=(404, 409))
def handler(request: Request) -> Any:
    return awards.deduct(request.caller, request.params["memberId"], request.body)
