"""GET /segments: the program's segments, by segmentId (read)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.segments import Segment, SegmentListQuery
from loyalty.services import segments


@endpoint(query=SegmentListQuery, response=Segment, paged=True)
def handler(request: Request) -> Any:
    return segments.list_segments(request.tenant_id, request.query)
