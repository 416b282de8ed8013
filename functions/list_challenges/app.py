"""GET /challenges: the challenge catalog, filter status."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.challenges import Challenge, ChallengeListQuery
from loyalty.services import challenges


@endpoint(query=ChallengeListQuery, response=Challenge, paged=True)
def handler(request: Request) -> Any:
    return challenges.list_challenges(request.tenant_id, request.query)
