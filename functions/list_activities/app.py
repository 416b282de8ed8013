"""GET /activities: the program's earning rules."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.activities import ACTIVITY, ACTIVITY_LIST_QUERY
from loyalty.services import activities


@endpoint(query=ACTIVITY_LIST_QUERY, response=ACTIVITY, paged=True)
def handler(request: Request) -> Any:
    return activities.list_activities(request.tenant_id, request.query)
