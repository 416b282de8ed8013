"""POST /transactions/{transactionId}/approve: a pending award's points become available (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.ledger import Transaction
from loyalty.services import transactions


@endpoint(response=Transaction, errors=(404, 409))
def handler(request: Request) -> Any:
    return transactions.approve(request.caller, request.params["transactionId"])
