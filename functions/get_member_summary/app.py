"""GET /members/{memberId}/summary: balance, tier progress, expiration schedule, last award."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.ledger import MemberSummary
from loyalty.services import summary


@endpoint(response=MemberSummary, errors=(404,))
def handler(request: Request) -> Any:
    return summary.summary(request.tenant_id, request.params["memberId"])
