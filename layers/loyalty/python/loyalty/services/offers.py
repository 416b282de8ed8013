"""Offer catalog (create, update with forward-only status moves, read, list), a member's offers, activation."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from loyalty import cache, clock, ids
from loyalty.errors import Conflict, NotFound, ValidationFailed
from loyalty.operation import Caller, Operation, run
from loyalty.repository import cursor
from loyalty.repository import members as members_db
from loyalty.repository import offers as repo
from loyalty.results import Page
from loyalty.services import offer_limits, program

DEFAULTS: dict[str, Any] = {
    "merchantName": None,
    "description": None,
    "minSpendAmount": None,
    "maxRewardAmount": None,
    "startDate": None,
    "endDate": None,
    "status": "draft",
    "requiresActivation": False,
    "maxRedemptionsPerMember": None,
    "maxRedemptionsTotal": None,
    "channels": ["online", "in-store"],
    "categoryId": None,
    "tags": [],
    "contentIds": [],
    "images": None,
    "messages": None,
}
FIELDS = (
    "offerId",
    "offerCode",
    "name",
    "rewardType",
    "offerAmount",
    "currency",
    *DEFAULTS,
    "createdAt",
    "updatedAt",
)
ORDER = {"draft": 0, "published": 1, "archived": 2}


def public(offer: dict[str, Any], shards: list[dict[str, Any]]) -> dict[str, Any]:
    return {**{name: offer.get(name) for name in FIELDS}, "redemptionCount": offer_limits.redemption_count(shards)}


def _check_rules(offer: dict[str, Any]) -> None:
    """Rules across fields, checked on the offer as it will be stored (after a create or an update)."""
    problems = []
    amount = Decimal(offer["offerAmount"])
    kind = offer["rewardType"]
    if kind == "percentage" and not 0 < amount <= 100:
        problems.append({"field": "offerAmount", "message": "must be a percentage above 0 and at most 100"})
    elif kind == "amount" and amount <= 0:
        problems.append({"field": "offerAmount", "message": "must be an amount of money above 0"})
    elif kind == "points" and (amount != amount.to_integral_value() or not 1 <= amount <= 10**9):
        problems.append({"field": "offerAmount", "message": "must be whole points from 1 to 1000000000"})
    if kind == "points" and offer.get("maxRewardAmount") is not None:
        problems.append({"field": "maxRewardAmount", "message": "applies to money offers only"})
    if offer.get("startDate") and offer.get("endDate") and offer["startDate"] >= offer["endDate"]:
        problems.append({"field": "endDate", "message": "must be after startDate"})
    if problems:
        raise ValidationFailed(details=problems)


def load(tenant_id: str, offer_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    offer, shards = repo.read_offer(tenant_id, offer_id)
    if offer is None:
        raise NotFound("The offer does not exist.")
    return offer, shards


def offer_id_for_code(tenant_id: str, offer_code: str) -> str | None:
    """The offerId of a code (codes never change, so the answer is cached per container)."""
    return cache.get(("offercode", tenant_id, offer_code), lambda: repo.offer_id_for_code(tenant_id, offer_code))


def create_offer(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    tenant_id = caller.tenant_id
    currency = program.load(tenant_id)["currency"]

    def attempt(operation: Operation) -> dict[str, Any]:
        now = clock.iso(clock.now())
        offer = {
            **DEFAULTS,
            "currency": currency,
            **body,
            "offerId": ids.ulid(),
            "createdAt": now,
            "updatedAt": now,
            "version": 0,
        }
        _check_rules(offer)
        (guard,) = operation.read([repo.code_guard(tenant_id, body["offerCode"])])
        if guard is not None:
            raise Conflict("duplicate", "An offer with this offerCode exists already.")
        items = repo.create_items(tenant_id, offer)
        return operation.commit(items, public(offer, [{"uses": 0}]))

    return run(caller, attempt)


def update_offer(caller: Caller, offer_id: str, body: dict[str, Any]) -> dict[str, Any]:
    tenant_id = caller.tenant_id

    def attempt(operation: Operation) -> dict[str, Any]:
        current, shards = load(tenant_id, offer_id)
        changes = {k: v for k, v in body.items() if current.get(k) != v}
        if changes and current["status"] == "archived":
            raise Conflict("invalid_state", "An archived offer can't change.")
        if ORDER[changes.get("status", current["status"])] < ORDER[current["status"]]:
            raise Conflict("invalid_state", f"A {current['status']} offer can't move back to {changes['status']}.")
        updated = {**current, **changes, "updatedAt": clock.iso(clock.now()), "version": current["version"] + 1}
        _check_rules(updated)
        if not changes:
            return public(current, shards)
        return operation.commit(repo.update_items(tenant_id, current, updated, shards), public(updated, shards), 200)

    return run(caller, attempt)


def get_offer(tenant_id: str, offer_id: str) -> dict[str, Any]:
    return public(*load(tenant_id, offer_id))


def list_offers(tenant_id: str, query: dict[str, Any]) -> Page:
    """Newest first (filter status), each with its redemptionCount (one Query, the counters by key);
    offerCode: one lookup."""
    query_id = cursor.query_id("offers", query)
    start = cursor.decode(tenant_id, query_id, query.get("nextToken"))
    if query.get("offerCode"):
        offer_id = offer_id_for_code(tenant_id, query["offerCode"])
        found = repo.read_offer(tenant_id, offer_id) if offer_id and not start else (None, [])
        offer, shards = found
        shown = offer is not None and query.get("status") in (None, offer["status"])
        return Page([public(offer, shards)] if shown else [], None)  # type: ignore[arg-type]
    groups, last = repo.catalog_page(tenant_id, query.get("status"), query.get("limit", 25), start)
    return Page([public(offer, shards) for offer, shards in groups], cursor.encode(tenant_id, query_id, last))


# --- a member's offers and activation -----------------------------------------------------------


def days_remaining(offer: dict[str, Any], now: datetime) -> int | None:
    """Whole days until endDate (0 on its last day); None when the offer has no end."""
    if not offer.get("endDate"):
        return None
    return max(0, (clock.parse_iso(offer["endDate"]) - now).days)


def is_current(offer: dict[str, Any], at: str) -> bool:
    """Published, started and not ended at `at` (an ISO time)."""
    return (
        offer["status"] == "published"
        and (not offer.get("startDate") or offer["startDate"] <= at)
        and (not offer.get("endDate") or at <= offer["endDate"])
    )


def for_member(
    offer: dict[str, Any], shards: list[dict[str, Any]] | None, state: dict[str, Any] | None, now: datetime
) -> dict[str, Any]:
    """An offer as a member sees it: activation, days and (with its shards) redemptions left."""
    out = {name: offer.get(name) for name in FIELDS}
    if shards is not None:
        out["redemptionCount"] = offer_limits.redemption_count(shards)
    out["activated"] = bool((state or {}).get("activatedAt"))
    out["activatedAt"] = (state or {}).get("activatedAt")
    out["daysRemaining"] = days_remaining(offer, now)
    if shards is not None:
        out["redemptionsLeft"] = offer_limits.left(offer, shards, state)
    return out


def member_offers(tenant_id: str, member_id: str, query: dict[str, Any]) -> Page:
    """Published, current offers the member may still use, soonest ending first.

    One Query of the live index, the offers' usage shards by key, and one BatchGetItem of the member
    and the member's state for the offers on the page (page size + 1 keys; two calls above 99).
    Offers not started yet or used up are left out, so a page may hold fewer than `limit`.
    """
    now = clock.now()
    query_id = cursor.query_id(f"member-offers:{member_id}", query)
    groups, last = repo.live_page(
        tenant_id, clock.iso(now), query.get("limit", 25), cursor.decode(tenant_id, query_id, query.get("nextToken"))
    )
    (member,), _, states = repo.offers_and_member_states(
        tenant_id, member_id, [offer["offerId"] for offer, _ in groups], also=[members_db.key(tenant_id, member_id)]
    )
    if member is None:
        raise NotFound("The member does not exist.")
    shown = []
    for offer, shards in groups:
        item = for_member(offer, shards, states.get(offer["offerId"]), now)
        if is_current(offer, clock.iso(now)) and item["redemptionsLeft"] != 0:
            shown.append(item)
    return Page(shown, cursor.encode(tenant_id, query_id, last))


def _activation(offer: dict[str, Any], member_id: str, activated_at: str | None) -> dict[str, Any]:
    return {
        "memberId": member_id,
        "offerId": offer["offerId"],
        "offerCode": offer["offerCode"],
        "activated": activated_at is not None,
        "activatedAt": activated_at,
    }


def _offer_and_state(
    operation: Operation, tenant_id: str, member_id: str, offer_id: str
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The offer (404 if none) and the member's state for it (404 if no such member)."""
    offer, _ = load(tenant_id, offer_id)
    member, state = operation.read(
        [members_db.key(tenant_id, member_id), repo.member_offer_key(tenant_id, member_id, offer_id)]
    )
    if member is None:
        raise NotFound("The member does not exist.")
    return offer, state


def activate(caller: Caller, member_id: str, offer_id: str) -> dict[str, Any]:
    """Clip a published, current offer for a member; again is harmless (the first activatedAt stays)."""
    tenant_id = caller.tenant_id

    def attempt(operation: Operation) -> dict[str, Any]:
        offer, state = _offer_and_state(operation, tenant_id, member_id, offer_id)
        now = clock.iso(clock.now())
        if offer["status"] != "published" or (offer.get("endDate") or now) < now:
            raise Conflict("offer_not_active", "Only a published offer that has not ended can be activated.")
        activated_at = (state or {}).get("activatedAt") or now
        item = repo.activation_item(tenant_id, member_id, offer_id, state, activated_at)
        return operation.commit([item], _activation(offer, member_id, activated_at), 200)

    return run(caller, attempt)


def deactivate(caller: Caller, member_id: str, offer_id: str) -> dict[str, Any]:
    """Unclip; for a member who had not activated the offer this changes nothing."""
    tenant_id = caller.tenant_id

    def attempt(operation: Operation) -> dict[str, Any]:
        offer, state = _offer_and_state(operation, tenant_id, member_id, offer_id)
        answer = _activation(offer, member_id, None)
        if not (state or {}).get("activatedAt"):
            return answer
        return operation.commit([repo.activation_item(tenant_id, member_id, offer_id, state, None)], answer, 200)

    return run(caller, attempt)
