"""GET /challenges/{challengeId}/responses: a challenge's responses, newest first, filter status."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.challenges import ChallengeResponse, ResponseListQuery
from loyalty.services import challenge_responses


@endpoint(query=ResponseListQuery, response=ChallengeResponse, paged=True, errors=(404,))
def handler(request: Request) -> Any:
    return challenge_responses.list_challenge_responses(request.tenant_id, request.params["challengeId"], request.query)
