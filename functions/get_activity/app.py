"""GET /activities/{activityId}: one earning rule."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.activities import Activity
from loyalty.services import activities


@endpoint(response=Activity, errors=(404,))
def handler(request: Request) -> Any:
    return activities.get_activity(request.tenant_id, request.params["activityId"])
