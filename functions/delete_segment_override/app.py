"""DELETE /segments/{segmentId}/members/{memberId}: remove a member's explicit override, 204 (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.services import segments


@endpoint(status=204, errors=(404,))
def handler(request: Request) -> Any:
    return segments.delete_override(request.caller, request.params["segmentId"], request.params["memberId"])
