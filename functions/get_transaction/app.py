"""GET /transactions/{transactionId}: one ledger transaction."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.ledger import Transaction
from loyalty.services import transactions


@endpoint(response=Transaction, errors=(404,))
def handler(request: Request) -> Any:
    return transactions.get_transaction(request.tenant_id, request.params["transactionId"])
