"""Offer catalog (create, update with forward-only status moves, read, list), a member's offers, activation."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from loyalty import cache, clock, ids
from loyalty.errors import Conflict, NotFound, ValidationFailed
from loyalty.models.offers import MemberOffer, Offer, ReferencedOffer
from loyalty.models.types import fields_of
from loyalty.operation import Caller, Operation, run
from loyalty.repository import activations as activations_db
from loyalty.repository import members as members_db
from loyalty.repository import offer_usage as usage_db
from loyalty.repository import offers as offers_db
from loyalty.repository import paging, store
from loyalty.results import Page
from loyalty.services import offer_limits, program, segments, targeting
from loyalty.services.book import Book

if TYPE_CHECKING:
    from loyalty.models.offers import MemberOfferQuery, OfferCreate, OfferListQuery, OfferUpdate
    from loyalty.repository.records import OfferRecord

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
    "maxRedemptionsPerMemberInterval": offer_limits.LIFETIME,
    "maxRedemptionsTotal": None,
    "channels": ["online", "in-store"],
    "categoryId": None,
    "tags": [],
    "contentIds": [],
    "images": None,
    "messages": None,
    "segmentIds": [],
    "excludedSegmentIds": [],
}
ORDER = {"draft": 0, "published": 1, "archived": 2}
# What an offer shows but no claim (redemption, voucher issue) is decided by: a PATCH of only these writes
# no usage shard. Every other field is a rule (a field added later too), whose change is stamped on them.
DISPLAY_ONLY = frozenset(
    {"name", "merchantName", "description", "channels", "categoryId", "tags", "images", "messages"}
)


def _shown(offer: OfferRecord) -> dict[str, Any]:
    """The offer as answered: one stored before period limits counts per member over its lifetime; one stored
    before targeting is for everyone."""
    aimed, excluded = segments.targeting_of(cast("dict[str, Any]", offer))
    return {
        **offer,
        "maxRedemptionsPerMemberInterval": offer_limits.interval(offer),
        "segmentIds": list(aimed),
        "excludedSegmentIds": list(excluded),
    }


def not_eligible() -> Conflict:
    return Conflict("not_eligible", "The member is not in the offer's segments (or is in an excluded one).")


def eligible(tenant_id: str, member_id: str, offer: OfferRecord, member: Any = None) -> bool:
    """Whether the member is in the offer's audience now (services.targeting; no reads when it has none)."""
    aimed, excluded = segments.targeting_of(cast("dict[str, Any]", offer))
    return targeting.eligible(tenant_id, member_id, aimed, excluded, member)


def public(offer: OfferRecord, usage: list[dict[str, Any]]) -> dict[str, Any]:
    return fields_of(Offer, {**_shown(offer), "redemptionCount": usage_db.used(usage)})


def _check_rules(offer: OfferRecord) -> None:
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
    start, end = offer.get("startDate"), offer.get("endDate")
    if start and end and start >= end:
        problems.append({"field": "endDate", "message": "must be after startDate"})
    if problems:
        raise ValidationFailed(details=problems)


def load(tenant_id: str, offer_id: str) -> tuple[OfferRecord, list[dict[str, Any]]]:
    offer, shards = offers_db.read_offer(tenant_id, offer_id)
    if offer is None:
        raise NotFound("The offer does not exist.")
    return offer, shards


def offer_id_for_code(tenant_id: str, offer_code: str) -> str | None:
    """The offerId of a code (codes never change, so the answer is cached per container)."""
    return cache.get(("offercode", tenant_id, offer_code), lambda: offers_db.offer_id_for_code(tenant_id, offer_code))


def create_offer(caller: Caller, body: OfferCreate) -> dict[str, Any]:
    tenant_id = caller.tenant_id
    settings = program.load(tenant_id)
    segments.check_ids(tenant_id, body.given())

    def attempt(operation: Operation) -> dict[str, Any]:
        now = clock.iso(clock.now())
        fields = {**DEFAULTS, "currency": settings["currency"], **body.given(), "offerId": ids.ulid()}
        offer = offers_db.new(tenant_id, {**fields, "createdAt": now, "updatedAt": now, "version": 0})
        _check_rules(offer)
        (guard,) = operation.read([offers_db.code_guard(tenant_id, body.offerCode)])
        if guard is not None:
            raise Conflict("duplicate", "An offer with this offerCode exists already.")
        items = offers_db.create_items(tenant_id, offer)
        return operation.commit(items, public(offer, []))

    return run(caller, attempt)


def update_offer(caller: Caller, offer_id: str, body: OfferUpdate) -> dict[str, Any]:
    tenant_id = caller.tenant_id
    segments.check_ids(tenant_id, body.given())

    def attempt(operation: Operation) -> dict[str, Any]:
        current, shards = load(tenant_id, offer_id)
        changes = {k: v for k, v in body.given().items() if current.get(k) != v}
        if changes and current["status"] == "archived":
            raise Conflict("invalid_state", "An archived offer can't change.")
        if ORDER[changes.get("status", current["status"])] < ORDER[current["status"]]:
            raise Conflict("invalid_state", f"A {current['status']} offer can't move back to {changes['status']}.")
        now, version = clock.iso(clock.now()), current["version"] + 1
        updated = cast("OfferRecord", {**current, **changes, "updatedAt": now, "version": version})  # validated fields
        _check_rules(updated)
        if not changes:
            return public(current, shards)
        rules_changed = not set(changes) <= DISPLAY_ONLY
        items = offers_db.update_items(tenant_id, current, updated, shards, rules_changed=rules_changed)
        return operation.commit(items, public(updated, shards), 200)

    return run(caller, attempt)


def get_offer(tenant_id: str, offer_id: str) -> dict[str, Any]:
    return public(*load(tenant_id, offer_id))


def list_offers(tenant_id: str, query: OfferListQuery) -> Page[list[dict[str, Any]]]:
    """Newest first (filter status), each with its redemptionCount (one Query, the counters by key);
    offerCode: one lookup."""
    page = paging.request(tenant_id, "offers", query.given())
    if query.offerCode:
        offer_id = offer_id_for_code(tenant_id, query.offerCode)
        offer, shards = offers_db.read_offer(tenant_id, offer_id) if offer_id and page.first else (None, [])
        shown = [] if offer is None or query.status not in (None, offer["status"]) else [public(offer, shards)]
        return Page(shown, None)
    groups, last = offers_db.catalog_page(tenant_id, query.status, page.limit, page.start)
    return Page([public(offer, shards) for offer, shards in groups], page.next_token(last))


# --- a member's offers and activation -----------------------------------------------------------


def days_remaining(offer: OfferRecord, now: datetime) -> int | None:
    """Whole days until endDate (0 on its last day); None when the offer has no end."""
    end = offer.get("endDate")
    if not end:
        return None
    return max(0, (clock.parse_iso(end) - now).days)


def is_current(offer: OfferRecord, at: str) -> bool:
    """Published, started and not ended at `at` (an ISO time)."""
    start, end = offer.get("startDate"), offer.get("endDate")
    return offer["status"] == "published" and (not start or start <= at) and (not end or at <= end)


def for_member(
    offer: OfferRecord,
    shards: list[dict[str, Any]] | None,
    state: dict[str, Any] | None,
    now: datetime,
    counter: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An offer as a member sees it: activation, days and (with its shards, and the member's counter of
    the current window under a period limit) redemptions left."""
    shown = {
        **_shown(offer),
        "activated": bool((state or {}).get("activatedAt")),
        "activatedAt": (state or {}).get("activatedAt"),
        "daysRemaining": days_remaining(offer, now),
    }
    if shards is None:
        return fields_of(ReferencedOffer, shown)
    left = offer_limits.left(offer, shards, state, counter)
    return fields_of(MemberOffer, {**shown, "redemptionCount": usage_db.used(shards), "redemptionsLeft": left})


def member_offers(tenant_id: str, member_id: str, query: MemberOfferQuery) -> Page[list[dict[str, Any]]]:
    """Published, current offers the member may still use, soonest ending first.

    One Query of the live index, the offers' usage shards by key, and one BatchGetItem of the member
    and the member's state for the offers on the page, with its counters of the current window for offers
    with a period limit (page size + 1 keys, + 1 per such offer; more calls above 100 keys).
    Offers not started yet or used up, or aimed at segments the member is not in (services.targeting: the
    page's segments and the member's overrides for them by key, one BatchGetItem of at most 100 segments and
    100 overrides since a program has at most 100 segments), are left out, so a page may hold fewer than `limit`.
    """
    now = clock.now()
    page = paging.request(tenant_id, f"member-offers:{member_id}", query.given())
    groups, last = offers_db.live_page(tenant_id, clock.iso(now), page.limit, page.start)
    windows = {offer["offerId"]: offer_limits.counter_key(tenant_id, member_id, offer, now) for offer, _ in groups}
    counter_keys = [key for key in windows.values() if key is not None]
    (member, *counters), _, states = activations_db.offers_and_states(
        tenant_id,
        member_id,
        [offer["offerId"] for offer, _ in groups],
        also=[members_db.key(tenant_id, member_id), *counter_keys],
    )
    if member is None:
        raise NotFound("The member does not exist.")
    Book(tenant_id, member).require_not_erased()  # an erased member takes no part: no offers for it
    counted = dict(zip([i for i, key in windows.items() if key is not None], counters, strict=True))
    named = [
        segment_id for offer, _ in groups for ids_ in segments.targeting_of(cast("Any", offer)) for segment_id in ids_
    ]
    inside = targeting.memberships(tenant_id, member_id, named, member)
    shown = []
    for offer, shards in groups:
        offer_id = offer["offerId"]
        item = for_member(offer, shards, states.get(offer_id), now, counted.get(offer_id))
        aimed, excluded = segments.targeting_of(cast("Any", offer))
        audience = targeting.within(inside, aimed, excluded)
        if is_current(offer, clock.iso(now)) and item["redemptionsLeft"] != 0 and audience:
            shown.append(item)
    return Page(shown, page.next_token(last))


def _activation(offer: OfferRecord, member_id: str, activated_at: str | None) -> dict[str, Any]:
    return {
        "memberId": member_id,
        "offerId": offer["offerId"],
        "offerCode": offer["offerCode"],
        "activated": activated_at is not None,
        "activatedAt": activated_at,
    }


def _offer_and_state(
    operation: Operation, tenant_id: str, member_id: str, offer_id: str, use: bool = False
) -> tuple[OfferRecord, dict[str, Any] | None, store.TxItem]:
    """The offer (404 if none), the member's state for it (404 if no such member, 409 if erased; with `use`,
    409 not_eligible outside the offer's segments) and a condition that the member is unchanged, for the
    write (an erasure that commits first wins)."""
    offer, _ = load(tenant_id, offer_id)
    wanted: list[store.Key[Any]] = [
        members_db.key(tenant_id, member_id),
        activations_db.key(tenant_id, member_id, offer_id),
    ]
    member, state = operation.read(wanted)
    if member is None:
        raise NotFound("The member does not exist.")
    Book(tenant_id, member).require_not_erased()
    if use and not eligible(tenant_id, member_id, offer, member):
        raise not_eligible()
    return offer, state, members_db.unchanged(tenant_id, member)


def activate(caller: Caller, member_id: str, offer_id: str) -> dict[str, Any]:
    """Clip a published, current offer for a member; again is harmless (the first activatedAt stays)."""
    tenant_id = caller.tenant_id

    def attempt(operation: Operation) -> dict[str, Any]:
        offer, state, member_unchanged = _offer_and_state(operation, tenant_id, member_id, offer_id, use=True)
        now = clock.iso(clock.now())
        if offer["status"] != "published" or (offer.get("endDate") or now) < now:
            raise Conflict("offer_not_active", "Only a published offer that has not ended can be activated.")
        activated_at = (state or {}).get("activatedAt") or now
        item = activations_db.activation_item(tenant_id, member_id, offer_id, state, activated_at)
        return operation.commit([item, member_unchanged], _activation(offer, member_id, activated_at), 200)

    return run(caller, attempt)


def deactivate(caller: Caller, member_id: str, offer_id: str) -> dict[str, Any]:
    """Unclip; for a member who had not activated the offer this changes nothing."""
    tenant_id = caller.tenant_id

    def attempt(operation: Operation) -> dict[str, Any]:
        offer, state, member_unchanged = _offer_and_state(operation, tenant_id, member_id, offer_id)
        answer = _activation(offer, member_id, None)
        if not (state or {}).get("activatedAt"):
            return answer
        item = activations_db.activation_item(tenant_id, member_id, offer_id, state, None)
        return operation.commit([item, member_unchanged], answer, 200)

    return run(caller, attempt)
