"""Promo codes (contract section 11): promotions members type a code into to earn an activity's points.

A promotion is a shared code (every member types the promotion's own `code`) or, with `singleUse`, a
pool of single-use codes (the promotion's `code` is a name only). This module is the catalog (create,
read, list, PATCH, the pool's codes); a member's use of a code, which awards points, is
services/promo_code_uses.py, so the catalog's functions do not load the award path.

Rules (docs/decisions.md "Promo codes"): codes are case-insensitive (loyalty.codes.canonical) and one
namespace per tenant (a code names one promotion: a promotion's code, or a pool code, once); the
activity must be a fixed-points one; a disabled promotion, or one outside [startDate, endDate], answers
`409 invalid_state`; PATCH changes status and dates, never the limits (the counters' caps are set when
the promotion is created).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loyalty import clock, codes
from loyalty.errors import Conflict, NotFound, ValidationFailed
from loyalty.models.promo_codes import PromoCode
from loyalty.models.types import fields_of
from loyalty.operation import Caller, Operation, claimed, run, update_versioned
from loyalty.repository import offer_usage, paging, store
from loyalty.repository import promo_codes as promos_db
from loyalty.results import Page
from loyalty.services import activities, code_pools

if TYPE_CHECKING:
    from loyalty.models.promo_codes import PromoCodeCreate, PromoCodeListQuery, PromoCodesAdd, PromoCodeUpdate

EMPTY_POOL = {"total": 0, "available": 0, "issued": 0}
DEFAULT_PER_MEMBER = 1


def public(promo: dict[str, Any], shards: list[dict[str, Any]], pool: dict[str, int] | None) -> dict[str, Any]:
    out = fields_of(PromoCode, promo, without=("usesTotal", "pool"))
    out["usesTotal"] = offer_usage.used(shards)
    out["pool"] = dict(pool or EMPTY_POOL) if promo["singleUse"] else None
    return out


def _check_dates(promo: dict[str, Any]) -> None:
    start, end = promo.get("startDate"), promo.get("endDate")
    if start and end and start >= end:
        raise ValidationFailed(details=[{"field": "endDate", "message": "must be after startDate"}])


def _fixed_activity(tenant_id: str, activity_id: str) -> dict[str, Any]:
    """The activity a promotion awards: it must exist and give a fixed number of points (400 otherwise)."""
    try:
        activity = activities.load(tenant_id, activity_id)
    except NotFound:
        raise ValidationFailed(details=[{"field": "activityId", "message": "is not an activity"}]) from None
    if activity["type"] != "fixed":
        raise ValidationFailed(details=[{"field": "activityId", "message": "must be a fixed-points activity"}])
    return activity


def create(caller: Caller, body: PromoCodeCreate) -> dict[str, Any]:
    tenant_id = caller.tenant_id
    _fixed_activity(tenant_id, body.activityId)
    given = body.given()

    def attempt(operation: Operation) -> dict[str, Any]:
        now = clock.iso(clock.now())
        promo = promos_db.new(
            tenant_id,
            {
                "code": codes.canonical(body.code),
                "activityId": body.activityId,
                "singleUse": bool(body.singleUse),
                "maxUsesTotal": body.maxUsesTotal,
                "maxUsesPerMember": given.get("maxUsesPerMember", DEFAULT_PER_MEMBER),
                "startDate": body.startDate,
                "endDate": body.endDate,
                "status": "active",
                "createdAt": now,
                "updatedAt": now,
                "version": 0,
            },
        )
        _check_dates(promo)
        (known,) = operation.read([promos_db.guard_key(tenant_id, promo["code"])])
        if known is not None:
            raise Conflict("duplicate", "A promotion or a promotion's pool has this code already.")
        shards = [{"uses": 0}]
        return operation.commit(promos_db.create_items(tenant_id, promo), public(promo, shards, EMPTY_POOL))

    return run(caller, attempt)


def load(tenant_id: str, code: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A promotion by its code (any case) and its uses counter's shards; 404 when there is none."""
    promo, shards = promos_db.with_counts(tenant_id, codes.canonical(code))
    return store.required(promo, "promo code"), shards


def get(tenant_id: str, code: str) -> dict[str, Any]:
    promo, shards = load(tenant_id, code)
    pool = promos_db.pool(tenant_id, promo).read_stock() if promo["singleUse"] else None
    return public(promo, shards, pool)


def update(caller: Caller, code: str, changes: PromoCodeUpdate) -> dict[str, Any]:
    """Status (a leaked code is disabled) and dates; the limits are fixed when the promotion is created."""
    tenant_id = caller.tenant_id
    update_versioned(
        caller,
        promos_db.key(tenant_id, codes.canonical(code)),
        "promo code",
        changes.given(),
        lambda promo: promos_db.item(tenant_id, promo),
        check=_check_dates,
    )
    return get(tenant_id, code)


def list_promos(tenant_id: str, query: PromoCodeListQuery) -> Page[list[dict[str, Any]]]:
    """By code: one Query of the catalog, then the page's counters by key."""
    page = paging.request(tenant_id, "promo-codes", query.given())
    items, last = promos_db.catalog(tenant_id).query(
        limit=page.limit, equals={"status": query.status}, start=page.start
    )
    counted = promos_db.usage_of(tenant_id, items)
    pools = promos_db.stock_of(tenant_id, items)
    shown = [public(promo, shards, pool) for (promo, shards), pool in zip(counted, pools, strict=True)]
    return Page(shown, page.next_token(last))


def add_codes(caller: Caller, code: str, body: PromoCodesAdd) -> dict[str, Any]:
    """Up to 1,000 codes into a single-use promotion's pool; a code any promotion knows is skipped and counted."""
    given = [codes.canonical(typed) for typed in body.codes]
    return claimed(caller, lambda: _add_codes(caller.tenant_id, code, given))


def _add_codes(tenant_id: str, code: str, given: list[str], skipped_codes: list[str] | None = None) -> dict[str, Any]:
    """The upload itself (also `loyalty import codes`, services/code_imports.py, which passes `skipped_codes`)."""
    promo = store.required(store.get(promos_db.key(tenant_id, codes.canonical(code))), "promo code")
    if not promo["singleUse"]:
        raise Conflict("invalid_state", "Only a singleUse promotion has a code pool.")
    pool = promos_db.pool(tenant_id, promo)
    answer = code_pools.add_distinct(
        given, lambda fresh: promos_db.add_codes(tenant_id, promo, fresh, skipped_codes), pool.read_stock
    )
    return {"added": answer["added"], "skipped": answer["skipped"], "pool": answer["stock"]}
