"""POST /transactions/{transactionId}/reject: a pending award is dropped (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.ledger import Rejection, Transaction
from loyalty.services import transactions


@endpoint(body=Rejection, response=Transaction, errors=(404, 409))
def handler(request: Request) -> Any:
    return transactions.reject(request.caller, request.params["transactionId"], request.body)
