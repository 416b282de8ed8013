"""Activities (earning rules): the activity item and its entry in the program's catalog (by activityId)."""

from __future__ import annotations

from typing import Any

from loyalty.repository import keys, store
from loyalty.repository.table import PROGRAM_WIDE


def key(tenant_id: str, activity_id: str) -> store.Key:
    return store.key(f"{keys.tenant(tenant_id)}#ACT#{activity_id}", "ACTIVITY")


def item(tenant_id: str, activity: dict[str, Any]) -> dict[str, Any]:
    out = {**key(tenant_id, activity["activityId"]), **store.plain(activity)}
    out.update(store.index_entry(PROGRAM_WIDE, f"{keys.tenant(tenant_id)}#ACTIVITIES", activity["activityId"]))
    return out


def catalog(tenant_id: str) -> store.Collection:
    return store.Collection(f"{keys.tenant(tenant_id)}#ACTIVITIES", PROGRAM_WIDE)
