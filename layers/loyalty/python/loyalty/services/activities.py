"""Activities (earning rules): create, read (cached per container), list, update."""

from __future__ import annotations

from typing import Any

from loyalty import cache, clock
from loyalty.errors import Conflict, NotFound, ValidationFailed
from loyalty.operation import Caller, Operation, run
from loyalty.repository import cursor, keys, store
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
FIELDS = ("activityId", "name", *DEFAULTS, "createdAt", "updatedAt")


def activity_key(tenant_id: str, activity_id: str) -> store.Key:
    return store.key(f"{keys.tenant(tenant_id)}#ACT#{activity_id}", "ACTIVITY")


def public(item: dict[str, Any]) -> dict[str, Any]:
    return {name: item.get(name) for name in FIELDS}


def _stored(tenant_id: str, activity: dict[str, Any]) -> dict[str, Any]:
    return {
        **activity_key(tenant_id, activity["activityId"]),
        **activity,
        "gsi2pk": f"{keys.tenant(tenant_id)}#ACTIVITIES",
        "gsi2sk": activity["activityId"],
    }


def _check_frequency(activity: dict[str, Any]) -> None:
    if (activity["maxAwardFrequency"] is None) != (activity["maxAwardFrequencyInterval"] is None):
        raise ValidationFailed(
            details=[{"field": "maxAwardFrequency", "message": "must be set together with maxAwardFrequencyInterval"}]
        )


def load(tenant_id: str, activity_id: str) -> dict[str, Any]:
    """An activity, from this container's cache when fresh enough (cache.TTL_SECONDS)."""
    item = cache.get(("activity", tenant_id, activity_id), lambda: store.get(activity_key(tenant_id, activity_id)))
    if item is None:
        raise NotFound("The activity does not exist.")
    return item


def require(tenant_id: str, activity_id: str) -> None:
    """Check that an activity exists (the program's saleActivityId must name one)."""
    try:
        load(tenant_id, activity_id)
    except NotFound:
        raise ValidationFailed(details=[{"field": "saleActivityId", "message": "is not an activity"}]) from None


def create_activity(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    tenant_id = caller.tenant_id

    def attempt(operation: Operation) -> dict[str, Any]:
        now = clock.iso(clock.now())
        activity = {**DEFAULTS, **body, "createdAt": now, "updatedAt": now, "version": 0}
        _check_frequency(activity)
        (existing,) = operation.read([activity_key(tenant_id, activity["activityId"])])
        if existing is not None:
            raise Conflict("duplicate", "An activity with this activityId exists already.")
        answer = operation.commit([store.put_new(_stored(tenant_id, activity))], public(activity))
        cache.put(("activity", tenant_id, activity["activityId"]), activity)
        return answer

    return run(caller, attempt)


def get_activity(tenant_id: str, activity_id: str) -> dict[str, Any]:
    item = store.get(activity_key(tenant_id, activity_id))
    if item is None:
        raise NotFound("The activity does not exist.")
    return public(item)


def list_activities(tenant_id: str, query: dict[str, Any]) -> Page:
    query_id = cursor.query_id("activities", query)
    active = query.get("isActive")
    items, last = store.query(
        ("gsi2pk", f"{keys.tenant(tenant_id)}#ACTIVITIES"),
        index="gsi2",
        filter_expression=None if active is None else "#a = :a",
        names=None if active is None else {"#a": "isActive"},
        values=None if active is None else {":a": active},
        limit=query.get("limit", 25),
        start=cursor.decode(tenant_id, query_id, query.get("nextToken")),
    )
    return Page([public(item) for item in items], cursor.encode(tenant_id, query_id, last))


def update_activity(caller: Caller, activity_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    tenant_id = caller.tenant_id

    def attempt(operation: Operation) -> dict[str, Any]:
        (current,) = operation.read([activity_key(tenant_id, activity_id)])
        if current is None:
            raise NotFound("The activity does not exist.")
        updated = {
            **{k: v for k, v in current.items() if k not in ("pk", "sk", "gsi2pk", "gsi2sk")},
            **changes,
            "updatedAt": clock.iso(clock.now()),
            "version": current["version"] + 1,
        }
        _check_frequency(updated)
        store.transact([store.put_versioned(_stored(tenant_id, updated), current["version"])])
        cache.put(("activity", tenant_id, activity_id), updated)
        return public(updated)

    return run(caller, attempt)
