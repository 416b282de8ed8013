"""POST /activities: create an earning rule (admin)."""

from loyalty.http import Request, Response, endpoint
from loyalty.models.activities import ACTIVITY, ACTIVITY_CREATE
from loyalty.services import activities


@endpoint(body=ACTIVITY_CREATE, response=ACTIVITY, status=201, errors=(409,))
def handler(request: Request) -> Response:
    return activities.create_activity(request)
