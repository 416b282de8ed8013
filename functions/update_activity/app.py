"""PATCH /activities/{activityId}: change an earning rule (admin)."""

from loyalty.http import Request, Response, endpoint
from loyalty.models.activities import ACTIVITY, ACTIVITY_UPDATE
from loyalty.services import activities


@endpoint(body=ACTIVITY_UPDATE, response=ACTIVITY, errors=(404,))
def handler(request: Request) -> Response:
    return activities.update_activity(request)
