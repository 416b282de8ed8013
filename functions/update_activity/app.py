"""PATCH /activities/{activityId}: change an earning rule (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.activities import Activity, ActivityUpdate
from loyalty.services import activities


@endpoint(body=ActivityUpdate, response=Activity, errors=(404,))
def handler(request: Request) -> Any:
    return activities.update_activity(request.caller, request.params["activityId"], request.body)
