"""POST /transactions/{transactionId}/reject: a pending award is dropped (admin)."""

from loyalty.http import Request, Response, endpoint
from loyalty.models.ledger import REJECTION, TRANSACTION
from loyalty.services import transactions


@endpoint(body=REJECTION, response=TRANSACTION, errors=(404, 409))
def handler(request: Request) -> Response:
    return transactions.reject(request)
