"""GET /members/{memberId}/summary: balance, tier progress, expiration schedule, last award."""

from loyalty.http import Request, Response, endpoint, ok
from loyalty.models.ledger import SUMMARY
from loyalty.services import summary


@endpoint(response=SUMMARY, errors=(404,))
def handler(request: Request) -> Response:
    return ok(summary.summary(request))
