"""Segments (§11): the catalog (create, update, read, list), the explicit include/exclude overrides of one
member, the segments a member is in now, and the check of the segment ids that offers, rewards and
challenges name (`check_ids`).

At most MAX_SEGMENTS per tenant, held by a guard item counted in the create's transaction
(repository.segments), so every read of "all the tenant's segments" is bounded. Segments are not deleted
(no route does), so an id an offer, a reward or a challenge names stays a segment. Membership itself is
services.targeting's: evaluated at the moment of use, by key, from the member's current state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loyalty import clock
from loyalty.errors import Conflict, ValidationFailed
from loyalty.models.segments import MemberSegment, Segment, SegmentOverride
from loyalty.models.types import fields_of
from loyalty.operation import Caller, Operation, run, update_versioned
from loyalty.repository import members as members_db
from loyalty.repository import paging, store
from loyalty.repository import segments as segments_db
from loyalty.results import Page
from loyalty.services import program, targeting

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from loyalty.models.segments import (
        MemberSegmentListQuery,
        SegmentCreate,
        SegmentListQuery,
        SegmentOverridePut,
        SegmentUpdate,
    )

MAX_SEGMENTS = 100


def public(segment: dict[str, Any]) -> dict[str, Any]:
    shown = fields_of(Segment, segment)
    shown["rules"] = {name: (segment.get("rules") or {}).get(name) for name in targeting.RULE_FIELDS}
    return shown


def _rules(tenant_id: str, rules: dict[str, Any] | None) -> dict[str, Any]:
    """The rules as stored (only those given and not null), checked across fields: min ≤ max, from ≤ to, the
    tiers the program's (400 otherwise)."""
    kept = {name: value for name, value in (rules or {}).items() if value is not None}
    problems = []
    if kept.get("minQualified", 0) > kept.get("maxQualified", float("inf")):
        problems.append({"field": "rules.maxQualified", "message": "must not be below minQualified"})
    if kept.get("createdFrom") and kept.get("createdTo") and kept["createdFrom"] > kept["createdTo"]:
        problems.append({"field": "rules.createdTo", "message": "must not be before createdFrom"})
    if problems:
        raise ValidationFailed(details=problems)
    if kept.get("tierIds"):
        program.check_tier_ids(tenant_id, kept["tierIds"], "rules.tierIds")
    return kept


def create_segment(caller: Caller, body: SegmentCreate) -> dict[str, Any]:
    """A new segment (201); `409 duplicate` on a used segmentId, `409 limit_reached` at MAX_SEGMENTS."""
    tenant_id = caller.tenant_id
    rules = _rules(tenant_id, body.given().get("rules"))

    def attempt(operation: Operation) -> dict[str, Any]:
        existing, guard = operation.read([segments_db.key(tenant_id, body.segmentId), segments_db.limit_key(tenant_id)])
        if existing is not None:
            raise Conflict("duplicate", "A segment with this segmentId exists already.")
        if segments_db.count_of(guard) >= MAX_SEGMENTS:
            raise Conflict("limit_reached", f"A program has at most {MAX_SEGMENTS} segments.")
        now = clock.iso(clock.now())
        segment = {
            "segmentId": body.segmentId,
            "name": body.name,
            "rules": rules,
            "createdAt": now,
            "updatedAt": now,
            "version": 0,
        }
        return operation.commit(segments_db.create_items(tenant_id, segment, MAX_SEGMENTS), public(segment))

    return run(caller, attempt)


def update_segment(caller: Caller, segment_id: str, body: SegmentUpdate) -> dict[str, Any]:
    """Change the name or the rules (`rules` replaces the whole rule set); applies to the next check at once."""
    tenant_id, changes = caller.tenant_id, body.given()
    if "rules" in changes:
        changes["rules"] = _rules(tenant_id, changes["rules"])
    updated = update_versioned(
        caller,
        segments_db.key(tenant_id, segment_id),
        "segment",
        changes,
        lambda item: segments_db.item(tenant_id, item),
    )
    return public(updated)


def get_segment(tenant_id: str, segment_id: str) -> dict[str, Any]:
    return public(store.get_required(segments_db.key(tenant_id, segment_id), "segment"))


def list_segments(tenant_id: str, query: SegmentListQuery) -> Page[list[dict[str, Any]]]:
    """The program's segments by segmentId: one Query of their partition."""
    page = paging.request(tenant_id, "segments", query.given())
    found, last = segments_db.page(tenant_id, page.limit, page.start)
    return Page([public(segment) for segment in found], page.next_token(last))


def check_ids(tenant_id: str, given: dict[str, Any]) -> None:
    """The `segmentIds` and `excludedSegmentIds` of a request (those it gives) name segments of the program,
    each once in its list (400 validation_error naming each one that does not): one BatchGetItem."""
    named = [(field, i, segment_id) for field in ("segmentIds", "excludedSegmentIds") for i, segment_id in
             enumerate(given.get(field) or [])]  # fmt: skip
    if not named:
        return
    found = store.get_many([segments_db.key(tenant_id, segment_id) for _, _, segment_id in named])
    problems, seen = [], set()
    for (field, i, segment_id), segment in zip(named, found, strict=True):
        if segment is None:
            problems.append({"field": f"{field}[{i}]", "message": "is not a segment of the program"})
        elif (field, segment_id) in seen:
            problems.append({"field": f"{field}[{i}]", "message": "is given more than once"})
        seen.add((field, segment_id))
    if problems:
        raise ValidationFailed(details=problems)


def targeting_of(item: dict[str, Any]) -> tuple[Sequence[str], Sequence[str]]:
    """The (segmentIds, excludedSegmentIds) of an offer, reward or challenge (one stored before: none)."""
    return item.get("segmentIds") or [], item.get("excludedSegmentIds") or []


# --- overrides ------------------------------------------------------------------------------------


def _segment_and_member(
    operation: Operation, tenant_id: str, segment_id: str, member_id: str, removal: bool = False
) -> Mapping[str, Any]:
    """The override as read (empty: none), after a 404 for an unknown segment or member and, unless it is a
    `removal`, a 409 invalid_state for an erased member (it takes no part); one BatchGetItem."""
    segment, member, override = operation.read(
        [
            segments_db.key(tenant_id, segment_id),
            members_db.key(tenant_id, member_id),
            segments_db.override_key(tenant_id, member_id, segment_id),
        ]
    )
    store.required(segment, "segment")
    if store.required(member, "member").get("erasedAt") and not removal:
        raise Conflict("invalid_state", "The member was erased: it takes no part in segments.")
    return override or {}


def put_override(caller: Caller, segment_id: str, member_id: str, body: SegmentOverridePut) -> dict[str, Any]:
    """Set the member's override in the segment (include or exclude), replacing any it had: 200."""
    tenant_id = caller.tenant_id

    def attempt(operation: Operation) -> dict[str, Any]:
        current = _segment_and_member(operation, tenant_id, segment_id, member_id)
        if current.get("type") == body.type:
            return fields_of(SegmentOverride, current)
        override = {
            "segmentId": segment_id,
            "memberId": member_id,
            "type": body.type,
            "updatedAt": clock.iso(clock.now()),
        }
        # The segment and the member are not deleted (an erased member's item stays), so no condition on them.
        store.transact([store.put(segments_db.override_item(tenant_id, override))])
        return fields_of(SegmentOverride, override)

    return run(caller, attempt)


def delete_override(caller: Caller, segment_id: str, member_id: str) -> None:
    """Remove the member's override in the segment (the rules decide again): 204, whether there was one or
    not; 404 for an unknown segment or member."""
    tenant_id = caller.tenant_id

    def attempt(operation: Operation) -> None:
        current = _segment_and_member(operation, tenant_id, segment_id, member_id, removal=True)
        if current:
            store.transact([store.delete(segments_db.override_key(tenant_id, member_id, segment_id))])

    run(caller, attempt)


# --- a member's segments ----------------------------------------------------------------------------


def member_segments(tenant_id: str, member_id: str, query: MemberSegmentListQuery) -> Page[list[dict[str, Any]]]:
    """The segments the member is in now, by segmentId, each with `matchedBy` (rules or include). One Query
    of the program's segments, then the member and its overrides for the page's segments in one
    BatchGetItem: a page is two calls whatever the segments' sizes (a page may hold fewer than `limit`)."""
    page = paging.request(tenant_id, f"member-segments:{member_id}", query.given())
    found, last = segments_db.page(tenant_id, page.limit, page.start)
    wanted: list[store.Key[Any]] = [members_db.key(tenant_id, member_id)]
    wanted += [segments_db.override_key(tenant_id, member_id, segment["segmentId"]) for segment in found]
    member, *overrides = store.get_many(wanted)
    member = store.required(member, "member")
    tier_id = targeting.tier_id_of(tenant_id, member) if targeting.needs_tier(found) else None
    shown = []
    for segment, override in zip(found, overrides, strict=True):
        if targeting.in_segment(segment, override, member, tier_id):
            matched = "include" if override is not None else "rules"
            shown.append(fields_of(MemberSegment, {**public(segment), "matchedBy": matched}))
    return Page(shown, page.next_token(last))
