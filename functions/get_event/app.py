"""GET /events/{eventId}: one event of the last 30 days."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.events import Event
from loyalty.services import event_store


@endpoint(response=Event, errors=(404,))
def handler(request: Request) -> Any:
    return event_store.get_event(request.tenant_id, request.params["eventId"])
