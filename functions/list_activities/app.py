"""GET /activities: the program's earning rules."""

from loyalty.http import Request, Response, endpoint
from loyalty.models.activities import ACTIVITY, ACTIVITY_LIST_QUERY
from loyalty.services import activities


@endpoint(query=ACTIVITY_LIST_QUERY, response=ACTIVITY, paged=True)
def handler(request: Request) -> Response:
    return activities.list_activities(request)
