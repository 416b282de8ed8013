"""GET /challenges/{challengeId}: one challenge."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.challenges import Challenge
from loyalty.services import challenges


@endpoint(response=Challenge, errors=(404,))
def handler(request: Request) -> Any:
    return challenges.get_challenge(request.tenant_id, request.params["challengeId"])
