"""GET /members/{memberId}/segments: the segments the member is in now (read)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.segments import MemberSegment, MemberSegmentListQuery
from loyalty.services import segments


@endpoint(query=MemberSegmentListQuery, response=MemberSegment, paged=True, errors=(404,))
def handler(request: Request) -> Any:
    return segments.member_segments(request.tenant_id, request.params["memberId"], request.query)
