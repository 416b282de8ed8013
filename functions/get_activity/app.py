"""GET /activities/{activityId}: one earning rule."""

from loyalty.http import Request, Response, endpoint, ok
from loyalty.models.activities import ACTIVITY
from loyalty.services import activities


@endpoint(response=ACTIVITY, errors=(404,))
def handler(request: Request) -> Response:
    return ok(activities.get_activity(request))
