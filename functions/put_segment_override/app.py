"""PUT /segments/{segmentId}/members/{memberId}: include or exclude one member explicitly (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.segments import SegmentOverride, SegmentOverridePut
from loyalty.services import segments


@endpoint(body=SegmentOverridePut, response=SegmentOverride, errors=(404, 409))
def handler(request: Request) -> Any:
    return segments.put_override(request.caller, request.params["segmentId"], request.params["memberId"], request.body)
