"""POST /segments: create a segment of members by rules (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.segments import Segment, SegmentCreate
from loyalty.services import segments


@endpoint(body=SegmentCreate, response=Segment, status=201, errors=(409,))
def handler(request: Request) -> Any:
    return segments.create_segment(request.caller, request.body)
