"""POST /members/{memberId}/awards: award points for an activity (caps, approval method)."""

from loyalty.http import Request, Response, endpoint
from loyalty.models.ledger import AWARD_CREATE, TRANSACTION
from loyalty.services import awards


@endpoint(body=AWARD_CREATE, response=TRANSACTION, status=201, errors=(404, 409))
def handler(request: Request) -> Response:
    return awards.award(request)
