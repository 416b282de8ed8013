"""GET /segments/{segmentId}: one segment (read)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.segments import Segment
from loyalty.services import segments


@endpoint(response=Segment, errors=(404,))
def handler(request: Request) -> Any:
    return segments.get_segment(request.tenant_id, request.params["segmentId"])
