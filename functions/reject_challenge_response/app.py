"""POST /challenge-responses/{responseId}/reject: pending → rejected, with a reason."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.challenges import ChallengeResponse, ResponseReject
from loyalty.services import challenge_responses


@endpoint(body=ResponseReject, response=ChallengeResponse, errors=(404, 409))
def handler(request: Request) -> Any:
    return challenge_responses.reject(request.caller, request.params["responseId"], request.body)
