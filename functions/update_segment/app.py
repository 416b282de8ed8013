"""PATCH /segments/{segmentId}: rename a segment or replace its rules (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.segments import Segment, SegmentUpdate
from loyalty.services import segments


@endpoint(body=SegmentUpdate, response=Segment, errors=(404,))
def handler(request: Request) -> Any:
    return segments.update_segment(request.caller, request.params["segmentId"], request.body)
