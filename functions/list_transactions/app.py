"""GET /transactions: the program's ledger, newest first."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.ledger import Transaction, TransactionListQuery
from loyalty.services import transactions


@endpoint(query=TransactionListQuery, response=Transaction, paged=True)
def handler(request: Request) -> Any:
    return transactions.list_transactions(request.tenant_id, request.query)
