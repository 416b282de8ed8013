"""GET /members/{memberId}/challenge-responses: a member's challenge responses, newest first, filter status."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.challenges import ChallengeResponse, ResponseListQuery
from loyalty.services import challenge_responses


@endpoint(query=ResponseListQuery, response=ChallengeResponse, paged=True, errors=(404,))
def handler(request: Request) -> Any:
    return challenge_responses.list_member_responses(request.tenant_id, request.params["memberId"], request.query)
