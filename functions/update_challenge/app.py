"""PATCH /challenges/{challengeId}: change a challenge; status moves forward only (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.challenges import Challenge, ChallengeUpdate
from loyalty.services import challenges


@endpoint(body=ChallengeUpdate, response=Challenge, errors=(404, 409))
def handler(request: Request) -> Any:
    return challenges.update_challenge(request.caller, request.params["challengeId"], request.body)
