"""PATCH /activities/{activityId}: change an earning rule (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.activities import ACTIVITY, ACTIVITY_UPDATE
from loyalty.services import activities


@endpoint(body=ACTIVITY_UPDATE, response=ACTIVITY, errors=(404,))
def handler(request: Request) -> Any:
    return activities.update_activity(request.caller, request.params["activityId"], request.body)
