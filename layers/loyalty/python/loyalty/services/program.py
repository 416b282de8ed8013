"""Program settings of a tenant: defaults, a short per-container cache, and admin updates."""

from __future__ import annotations

from typing import Any

from loyalty import cache
from loyalty.errors import ValidationFailed
from loyalty.models.program import PROGRAM
from loyalty.operation import Caller, update_versioned
from loyalty.repository import program as program_db
from loyalty.repository import store
from loyalty.services import activities


def default_program(name: str, currency: str, now: str) -> dict[str, Any]:
    return {
        "name": name,
        "currency": currency,
        "pointsExpiryDays": None,
        "pendingDays": 30,
        "tiers": [],
        "saleActivityId": None,
        "updatedAt": now,
        "version": 0,
    }


def public(item: dict[str, Any]) -> dict[str, Any]:
    return PROGRAM.project(item)


def load(tenant_id: str) -> dict[str, Any]:
    """The tenant's settings, from this container's cache when fresh enough (cache.TTL_SECONDS)."""
    return store.required(cache.get(("program", tenant_id), lambda: store.get(program_db.key(tenant_id))), "program")


def forget_cache() -> None:
    cache.clear()


def get_program(tenant_id: str) -> dict[str, Any]:
    return public(load(tenant_id))


def _check_tiers(tiers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = [tier["tierId"] for tier in tiers]
    thresholds = [tier["threshold"] for tier in tiers]
    if len(set(ids)) != len(ids):
        raise ValidationFailed(details=[{"field": "tiers", "message": "tierIds must be unique"}])
    if len(set(thresholds)) != len(thresholds):
        raise ValidationFailed(details=[{"field": "tiers", "message": "thresholds must be distinct"}])
    return sorted(tiers, key=lambda tier: tier["threshold"])


def update_program(caller: Caller, changes: dict[str, Any]) -> dict[str, Any]:
    """Apply an admin's changes to the settings (optimistic on the settings' version)."""
    tenant_id, changes = caller.tenant_id, dict(changes)
    if "tiers" in changes:
        changes["tiers"] = _check_tiers(changes["tiers"])

    def check(updated: dict[str, Any]) -> None:
        if changes.get("saleActivityId"):
            activities.require(tenant_id, changes["saleActivityId"])

    updated = update_versioned(
        caller,
        program_db.key(tenant_id),
        "program",
        changes,
        lambda item: program_db.item(tenant_id, item),
        check,
    )
    cache.put(("program", tenant_id), updated)
    return public(updated)
