"""Program settings of a tenant: defaults, a short per-container cache, and admin updates."""

from __future__ import annotations

from typing import Any

from loyalty import cache
from loyalty.errors import Conflict, ValidationFailed
from loyalty.models.program import Program, ProgramUpdate
from loyalty.models.types import fields_of
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
    return fields_of(Program, item)


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


def check_tier_ids(tenant_id: str, tier_ids: list[str], field: str) -> None:
    """Every tier id a request names must be a tier of the program, and named once (400 otherwise)."""
    known = {tier["tierId"] for tier in load(tenant_id).get("tiers") or []}
    problems, seen = [], set()
    for index, tier_id in enumerate(tier_ids):
        where = f"{field}[{index}]" if field.endswith("s") else field
        if tier_id not in known:
            problems.append({"field": where, "message": "is not a tier of the program"})
        elif tier_id in seen:
            problems.append({"field": where, "message": "is given more than once"})
        seen.add(tier_id)
    if problems:
        raise ValidationFailed(details=problems)


def _check_named_tiers(tenant_id: str, tiers: list[dict[str, Any]]) -> None:
    """A tier that rewards still name can't be removed: they would name a tier nobody can hold."""
    # Only a change of tiers reads the catalog: imported here, so no other function's cold start loads it.
    from loyalty.repository import rewards as rewards_db

    kept = {tier["tierId"] for tier in tiers}
    named: dict[str, list[str]] = {}
    for reward in rewards_db.catalog(tenant_id).all():
        for tier_id in reward.get("tierIds") or []:
            if tier_id not in kept:
                named.setdefault(tier_id, []).append(reward["rewardId"])
    if named:
        which = "; ".join(f"{tier_id} by {', '.join(sorted(ids))}" for tier_id, ids in sorted(named.items()))
        raise Conflict("invalid_state", f"Tiers still named by rewards can't be removed: {which}.")


def update_program(caller: Caller, body: ProgramUpdate) -> dict[str, Any]:
    """Apply an admin's changes to the settings (optimistic on the settings' version)."""
    tenant_id, changes = caller.tenant_id, body.given()
    if "tiers" in changes:
        changes["tiers"] = _check_tiers(changes["tiers"])

    def check(updated: dict[str, Any]) -> None:
        if changes.get("saleActivityId"):
            activities.require(tenant_id, changes["saleActivityId"])
        if "tiers" in changes:
            _check_named_tiers(tenant_id, updated["tiers"])

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
