"""GET /transactions/{transactionId}: one ledger transaction."""

from loyalty.http import Request, Response, endpoint, ok
from loyalty.models.ledger import TRANSACTION
from loyalty.services import transactions


@endpoint(response=TRANSACTION, errors=(404,))
def handler(request: Request) -> Response:
    return ok(transactions.get_transaction(request))
