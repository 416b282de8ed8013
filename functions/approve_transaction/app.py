"""POST /transactions/{transactionId}/approve: a pending award's points become available (admin)."""

from loyalty.http import Request, Response, endpoint
from loyalty.models.ledger import TRANSACTION
from loyalty.services import transactions


@endpoint(response=TRANSACTION, errors=(404, 409))
def handler(request: Request) -> Response:
    return transactions.approve(request)
