"""POST /challenges: create a challenge (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.challenges import Challenge, ChallengeCreate
from loyalty.services import challenges


@endpoint(body=ChallengeCreate, response=Challenge, status=201, errors=(409,))
def handler(request: Request) -> Any:
    return challenges.create_challenge(request.caller, request.body)
