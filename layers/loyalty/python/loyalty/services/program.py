"""Program settings of a tenant: defaults, a short per-container cache, and admin updates."""

from __future__ import annotations

from typing import Any

from loyalty import cache
from loyalty.errors import Conflict, NotFound, ValidationFailed
from loyalty.models.program import EXPIRY_NOTICE_DAYS, Program, ProgramUpdate
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
        "referrerActivityId": None,
        "refereeActivityId": None,
        "referralWindowDays": None,
        "expiryNoticeDays": EXPIRY_NOTICE_DAYS,
        "updatedAt": now,
        "version": 0,
    }


def public(item: dict[str, Any]) -> dict[str, Any]:
    return fields_of(Program, {"expiryNoticeDays": EXPIRY_NOTICE_DAYS, **item})  # a program stored before it: 30


def load(tenant_id: str) -> dict[str, Any]:
    """The tenant's settings, from this container's cache when fresh enough (cache.TTL_SECONDS)."""
    return store.required(cache.get(("program", tenant_id), lambda: store.get(program_db.key(tenant_id))), "program")


def fresh(tenant_id: str) -> dict[str, Any]:
    """The tenant's settings as stored now (strongly consistent, not the cache): for a write that relies on them."""
    return store.get_required(program_db.key(tenant_id), "program")


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


def check_tier_ids(tenant_id: str, tier_ids: list[str], field: str, settings: dict[str, Any] | None = None) -> None:
    """Every tier id a request names must be a tier of the program (of `settings` when given, else
    the cached settings), and named once (400 otherwise)."""
    known = {tier["tierId"] for tier in (settings or load(tenant_id)).get("tiers") or []}
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


def _tier_removal(tenant_id: str, current: dict[str, Any], updated: dict[str, Any]) -> list[store.TxItem]:
    """A tier that rewards still name can't be removed: they would name a tier nobody can hold.

    Each tier keeps a count of the rewards naming it (repository.program.tier_use_key), read by key
    here (the catalog's index may lag a write on AWS), and the removal commits on condition that the
    counts are still 0: a reward naming the tier that commits first makes the removal re-read and refuse.
    """
    kept = {tier["tierId"] for tier in updated.get("tiers") or []}
    removed = sorted({tier["tierId"] for tier in current.get("tiers") or []} - kept)
    named = {tier_id: count for tier_id, count in program_db.tier_uses(tenant_id, removed).items() if count}
    if named:
        which = "; ".join(f"{tier_id} by {count} reward(s)" for tier_id, count in named.items())
        raise Conflict("invalid_state", f"Tiers still named by rewards can't be removed: {which}.")
    return [program_db.tier_unused(tenant_id, tier_id) for tier_id in removed]


REFERRAL_ACTIVITIES = ("referrerActivityId", "refereeActivityId")


def _check_referral_activities(tenant_id: str, changes: dict[str, Any]) -> None:
    """A referral activity must exist and be fixed (a referral has no base value to multiply): 400 otherwise."""
    problems = []
    for field in REFERRAL_ACTIVITIES:
        if not changes.get(field):
            continue
        try:
            activity = activities.load(tenant_id, changes[field])
        except NotFound:
            problems.append({"field": field, "message": "is not an activity"})
            continue
        if activity["type"] != "fixed":
            problems.append({"field": field, "message": "must be a fixed activity (a referral has no base value)"})
    if problems:
        raise ValidationFailed(details=problems)


def update_program(caller: Caller, body: ProgramUpdate) -> dict[str, Any]:
    """Apply an admin's changes to the settings (optimistic on the settings' version)."""
    tenant_id, changes = caller.tenant_id, body.given()
    if "tiers" in changes:
        changes["tiers"] = _check_tiers(changes["tiers"])

    def check(updated: dict[str, Any]) -> None:
        if changes.get("saleActivityId"):
            activities.require(tenant_id, changes["saleActivityId"])
        _check_referral_activities(tenant_id, changes)

    updated = update_versioned(
        caller,
        program_db.key(tenant_id),
        "program",
        changes,
        lambda item: program_db.item(tenant_id, item),
        check,
        lambda current, updated: _tier_removal(tenant_id, current, updated) if "tiers" in changes else [],
    )
    cache.put(("program", tenant_id), updated)
    return public(updated)
