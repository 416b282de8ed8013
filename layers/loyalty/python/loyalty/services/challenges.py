"""Challenges (§11): the catalog — create, change (status forward only, as offers), read and list.

Responses, their per-member limits and their approval (which awards points) are services.challenge_responses, so
the catalog's functions load none of the award path.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from loyalty import clock
from loyalty.errors import Conflict, NotFound, ValidationFailed
from loyalty.models.challenges import Challenge, ChallengeResponse
from loyalty.models.types import fields_of
from loyalty.operation import Caller, Operation, run
from loyalty.repository import challenges as challenges_db
from loyalty.repository import paging, store
from loyalty.results import Page
from loyalty.services import activities

if TYPE_CHECKING:
    from loyalty.models.challenges import ChallengeCreate, ChallengeListQuery, ChallengeUpdate

DEFAULTS: dict[str, Any] = {
    "description": None,
    "approvalMethod": "manual",
    "maxResponsesPerMember": None,
    "maxResponsesPerMemberInterval": "lifetime",
    "startDate": None,
    "endDate": None,
    "status": "draft",
    "segmentIds": [],
    "excludedSegmentIds": [],
}
ORDER = {"draft": 0, "published": 1, "archived": 2}


def public(challenge: Mapping[str, Any]) -> dict[str, Any]:
    return fields_of(Challenge, challenge)


def _check_rules(tenant_id: str, challenge: Mapping[str, Any]) -> None:
    """Rules across fields, on the challenge as it will be stored: dates in order, a fixed activity."""
    problems = []
    start, end = challenge.get("startDate"), challenge.get("endDate")
    if start and end and start >= end:
        problems.append({"field": "endDate", "message": "must be after startDate"})
    try:
        activity = activities.load(tenant_id, challenge["activityId"])
    except NotFound:
        problems.append({"field": "activityId", "message": "is not an activity of the program"})
    else:
        if activity["type"] != "fixed":
            problems.append({"field": "activityId", "message": "must be a fixed activity (a response has no base)"})
    if problems:
        raise ValidationFailed(details=problems)


def public_response(response: Mapping[str, Any]) -> dict[str, Any]:
    answer = response.get("answer")
    return fields_of(ChallengeResponse, {**response, "answer": json.loads(answer) if answer else None})


def load(tenant_id: str, challenge_id: str) -> dict[str, Any]:
    return store.get_required(challenges_db.key(tenant_id, challenge_id), "challenge")


def create_challenge(caller: Caller, body: ChallengeCreate) -> dict[str, Any]:
    tenant_id = caller.tenant_id

    def attempt(operation: Operation) -> dict[str, Any]:
        now = clock.iso(clock.now())
        challenge = {**DEFAULTS, **body.given(), "createdAt": now, "updatedAt": now, "version": 0}
        _check_rules(tenant_id, challenge)
        (existing,) = operation.read([challenges_db.key(tenant_id, challenge["challengeId"])])
        if existing is not None:
            raise Conflict("duplicate", "A challenge with this challengeId exists already.")
        return operation.commit([store.put_new(challenges_db.item(tenant_id, challenge))], public(challenge))

    return run(caller, attempt)


def update_challenge(caller: Caller, challenge_id: str, body: ChallengeUpdate) -> dict[str, Any]:
    """Change the given fields; status moves forward only and an archived challenge can't change (as offers)."""
    tenant_id = caller.tenant_id

    def attempt(operation: Operation) -> dict[str, Any]:
        current = store.plain(operation.read_existing(challenges_db.key(tenant_id, challenge_id), "challenge"))
        changes = {k: v for k, v in body.given().items() if current.get(k) != v}
        if changes and current["status"] == "archived":
            raise Conflict("invalid_state", "An archived challenge can't change.")
        if ORDER[changes.get("status", current["status"])] < ORDER[current["status"]]:
            raise Conflict("invalid_state", f"A {current['status']} challenge can't move back to {changes['status']}.")
        if changes.get("maxResponsesPerMemberInterval", "lifetime") is None:
            changes["maxResponsesPerMemberInterval"] = "lifetime"
        if not changes:
            return public(current)
        updated = {**current, **changes, "updatedAt": clock.iso(clock.now()), "version": current["version"] + 1}
        _check_rules(tenant_id, updated)
        item = store.put_versioned(challenges_db.item(tenant_id, updated), current["version"])
        return operation.commit([item], public(updated), 200)

    return run(caller, attempt)


def get_challenge(tenant_id: str, challenge_id: str) -> dict[str, Any]:
    return public(load(tenant_id, challenge_id))


def list_challenges(tenant_id: str, query: ChallengeListQuery) -> Page[list[dict[str, Any]]]:
    """The catalog by challengeId (one Query), filter status."""
    page = paging.request(tenant_id, "challenges", query.given())
    items, last = challenges_db.catalog(tenant_id).query(
        equals={"status": query.status}, limit=page.limit, start=page.start
    )
    return Page([public(item) for item in items], page.next_token(last))
