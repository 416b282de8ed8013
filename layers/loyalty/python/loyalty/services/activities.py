"""Activities (earning rules): create, read (cached per container), list, update."""

from __future__ import annotations

from typing import Any

from loyalty import cache, clock
from loyalty.errors import Conflict, NotFound, ValidationFailed
from loyalty.models.activities import Activity, ActivityCreate, ActivityListQuery, ActivityUpdate
from loyalty.models.types import fields_of
from loyalty.operation import Caller, Operation, run, update_versioned
from loyalty.repository import activities as activities_db
from loyalty.repository import paging, store
from loyalty.results import Page

DEFAULTS: dict[str, Any] = {
    "description": None,
    "type": "fixed",
    "points": 1,
    "multiplier": 1,
    "maxAwardFrequency": None,
    "maxAwardFrequencyInterval": None,
    "approvalMethod": "immediate",
    "isActive": True,
    "isSaleActivity": False,
    "qualifiedPoints": True,
    "showInDashboard": True,
}


def public(item: dict[str, Any]) -> dict[str, Any]:
    return fields_of(Activity, item)


def _check_frequency(activity: dict[str, Any]) -> None:
    if (activity["maxAwardFrequency"] is None) != (activity["maxAwardFrequencyInterval"] is None):
        raise ValidationFailed(
            details=[{"field": "maxAwardFrequency", "message": "must be set together with maxAwardFrequencyInterval"}]
        )


def load(tenant_id: str, activity_id: str) -> dict[str, Any]:
    """An activity, from this container's cache when fresh enough (cache.TTL_SECONDS)."""
    key = activities_db.key(tenant_id, activity_id)
    return store.required(cache.get(("activity", tenant_id, activity_id), lambda: store.get(key)), "activity")


def require(tenant_id: str, activity_id: str) -> None:
    """Check that an activity exists (the program's saleActivityId must name one)."""
    try:
        load(tenant_id, activity_id)
    except NotFound:
        raise ValidationFailed(details=[{"field": "saleActivityId", "message": "is not an activity"}]) from None


def create_activity(caller: Caller, body: ActivityCreate) -> dict[str, Any]:
    tenant_id = caller.tenant_id

    def attempt(operation: Operation) -> dict[str, Any]:
        now = clock.iso(clock.now())
        activity = {**DEFAULTS, **body.given(), "createdAt": now, "updatedAt": now, "version": 0}
        _check_frequency(activity)
        (existing,) = operation.read([activities_db.key(tenant_id, activity["activityId"])])
        if existing is not None:
            raise Conflict("duplicate", "An activity with this activityId exists already.")
        answer = operation.commit([store.put_new(activities_db.item(tenant_id, activity))], public(activity))
        cache.put(("activity", tenant_id, activity["activityId"]), activity)
        return answer

    return run(caller, attempt)


def get_activity(tenant_id: str, activity_id: str) -> dict[str, Any]:
    return public(store.get_required(activities_db.key(tenant_id, activity_id), "activity"))


def list_activities(tenant_id: str, query: ActivityListQuery) -> Page[list[dict[str, Any]]]:
    page = paging.request(tenant_id, "activities", query.given())
    items, last = activities_db.catalog(tenant_id).query(
        equals={"isActive": query.isActive}, limit=page.limit, start=page.start
    )
    return Page([public(item) for item in items], page.next_token(last))


def update_activity(caller: Caller, activity_id: str, changes: ActivityUpdate) -> dict[str, Any]:
    tenant_id = caller.tenant_id
    updated = update_versioned(
        caller,
        activities_db.key(tenant_id, activity_id),
        "activity",
        changes.given(),
        lambda item: activities_db.item(tenant_id, item),
        _check_frequency,
    )
    cache.put(("activity", tenant_id, activity_id), updated)
    return public(updated)
