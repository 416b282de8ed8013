"""GET /transactions: the program's ledger, newest first."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.ledger import TRANSACTION, TRANSACTION_LIST_QUERY
from loyalty.services import transactions


@endpoint(query=TRANSACTION_LIST_QUERY, response=TRANSACTION, paged=True)
def handler(request: Request) -> Any:
    return transactions.list_transactions(request.tenant_id, request.query)
