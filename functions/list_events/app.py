"""GET /events: the program's events of the last 30 days, newest first."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.events import Event, EventListQuery
from loyalty.services import event_store


@endpoint(query=EventListQuery, response=Event, paged=True)
def handler(request: Request) -> Any:
    return event_store.list_events(request.tenant_id, request.query)
