"""GET /activities: the program's earning rules."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.activities import Activity, ActivityListQuery
from loyalty.services import activities


@endpoint(query=ActivityListQuery, response=Activity, paged=True)
def handler(request: Request) -> Any:
    return activities.list_activities(request.tenant_id, request.query)
