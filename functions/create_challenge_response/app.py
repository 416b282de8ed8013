"""POST /challenges/{challengeId}/responses: a member's response; an immediate challenge awards at once."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.challenges import ChallengeResponse, ResponseCreate
from loyalty.services import challenge_responses


@endpoint(body=ResponseCreate, response=ChallengeResponse, status=201, errors=(404, 409))
def handler(request: Request) -> Any:
    return challenge_responses.respond(request.caller, request.params["challengeId"], request.body)
