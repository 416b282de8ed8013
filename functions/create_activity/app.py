"""POST /activities: create an earning rule (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.activities import Activity, ActivityCreate
from loyalty.services import activities


@endpoint(body=ActivityCreate, response=Activity, status=201, errors=(409,))
def handler(request: Request) -> Any:
    return activities.create_activity(request.caller, request.body)
