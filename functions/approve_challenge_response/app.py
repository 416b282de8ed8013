"""POST /challenge-responses/{responseId}/approve: pending → approved, its points awarded in the same transaction."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.challenges import ChallengeResponse
from loyalty.services import challenge_responses


@endpoint(response=ChallengeResponse, errors=(404, 409))
def handler(request: Request) -> Any:
    return challenge_responses.approve(request.caller, request.params["responseId"])
