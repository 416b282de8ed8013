"""Challenge responses (§11): per-member limits in UTC windows, and approval that awards the challenge's activity in
the same transaction as the response's status move (the catalog is services.challenges).

`POST /challenges/{challengeId}/responses {memberId, answer}` checks, in this order (the answer is the first that
fails): the challenge exists (404); the member exists (404) and can earn (not suspended or erased: 409
invalid_state); the challenge is published and inside its dates, `endDate` included (409 invalid_state); the member
is in its segments (`targeting.eligible`, 409 not_eligible); the member's responses in the current window of
maxResponsesPerMemberInterval are below maxResponsesPerMember (409 frequency_limit_reached). An `immediate`
challenge then approves the response in the same transaction, awarding its activity's points through the award
service's own `grant` with the activity's own checks (inactive: 409 activity_inactive; its frequency cap: 409
frequency_limit_reached) — an award refused refuses the response, and nothing is stored. The award is approved
whatever the activity's approvalMethod: the challenge's method decides.

The limit counts every response (pending, approved or rejected) in the window of the server's clock at commit; it
moves on condition it is still below the limit, so ten responses at once to a one-a-day challenge store one.
Approve and reject move the response on condition it is still `pending` (repository.challenges.decide): of racing
decisions exactly one commits, and an approval's award commits with it or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from loyalty import cache, clock, ids
from loyalty.errors import Conflict, NotFound
from loyalty.models.challenges import answer_text
from loyalty.operation import Caller, Operation, run
from loyalty.repository import awards as awards_db
from loyalty.repository import challenges as challenges_db
from loyalty.repository import members as members_db
from loyalty.repository import paging, store
from loyalty.results import Page
from loyalty.services import activities, awards, members
from loyalty.services.book import Book
from loyalty.services.challenges import load, public_response

if TYPE_CHECKING:
    from datetime import datetime

    from loyalty.models.challenges import ResponseCreate, ResponseListQuery, ResponseReject
    from loyalty.repository.challenges import ResponseRecord


def _limit_counter(tenant_id: str, member_id: str, challenge: Mapping[str, Any], now: datetime) -> store.Key | None:
    """The member's counter of responses in the current window of the challenge's limit (None: no limit)."""
    if not challenge.get("maxResponsesPerMember"):
        return None
    window, _ = awards.window(challenge["maxResponsesPerMemberInterval"], now)
    return challenges_db.counter_key(tenant_id, member_id, challenge["challengeId"], window)


def _check_open(challenge: Mapping[str, Any], now: datetime) -> None:
    at = clock.iso(now)
    if challenge["status"] != "published":
        raise Conflict(
            "invalid_state", f"The challenge is {challenge['status']}: only a published one takes responses."
        )
    start, end = challenge.get("startDate"), challenge.get("endDate")
    if start and at < start:
        raise Conflict("invalid_state", f"The challenge takes responses from {start}.")
    if end and end < at:
        raise Conflict("invalid_state", f"The challenge took responses until {end}.")


def _check_eligible(tenant_id: str, member: Mapping[str, Any], challenge: Mapping[str, Any]) -> None:
    included, excluded = challenge.get("segmentIds") or [], challenge.get("excludedSegmentIds") or []
    if not included and not excluded:
        return  # everyone: no segment is read
    from loyalty.services import targeting  # only challenges with segments load it

    if not targeting.eligible(tenant_id, member["memberId"], included, excluded, member=member):
        raise Conflict("not_eligible", "The member is outside the challenge's segments.")


def _earning_activity(tenant_id: str, challenge: Mapping[str, Any]) -> dict[str, Any]:
    """The challenge's activity as an approval awards it: approved at once (the challenge's method decides)."""
    try:
        activity = activities.load(tenant_id, challenge["activityId"])
    except NotFound:
        raise Conflict("activity_inactive", "The challenge's activity does not exist.") from None
    if activity["type"] != "fixed":
        raise Conflict("activity_inactive", "The challenge's activity is not a fixed activity: it has no points.")
    return {**activity, "approvalMethod": "immediate"}


def _award(
    book: Book, activity: dict[str, Any], counter: Mapping[str, Any] | None, response: ResponseRecord, now: datetime
) -> list[store.TxItem]:
    """The approval's award (the award service's own checks and writes); sets the response's transactionId."""
    book.require_active()
    awards.check_can_earn(activity, cast("dict[str, Any] | None", counter))
    source = {"challengeId": response["challengeId"], "responseId": response["responseId"]}
    items, entry = awards.grant(
        book, activity, activity["points"], now, reason=f"Challenge {activity['name']}"[:500], **source
    )
    response["transactionId"] = entry["transactionId"]
    return items


def respond(caller: Caller, challenge_id: str, body: ResponseCreate) -> dict[str, Any]:
    tenant_id, member_id = caller.tenant_id, body.memberId
    answer = answer_text(body.answer)

    def attempt(operation: Operation) -> dict[str, Any]:
        precise = clock.precise_now()  # the response's id and time: newest first agrees with createdAt
        now = precise.replace(microsecond=0)
        challenge = load(tenant_id, challenge_id)
        immediate = challenge["approvalMethod"] == "immediate"
        activity = _earning_activity(tenant_id, challenge) if immediate else None
        limit_key = _limit_counter(tenant_id, member_id, challenge, now)
        cap_key = awards.counter_key(tenant_id, member_id, activity, now) if activity else None
        wanted: list[store.Key[Any]] = [members_db.key(tenant_id, member_id)]
        wanted += [k for k in (limit_key, cap_key) if k is not None]
        member, *found = operation.read(wanted)
        limit = found.pop(0) if limit_key else None
        cap = found.pop(0) if cap_key else None
        book = Book(tenant_id, store.required(member, "member"))
        book.require_active()
        _check_open(challenge, now)
        _check_eligible(tenant_id, book.before, challenge)
        most = challenge.get("maxResponsesPerMember")
        if most and (limit or {}).get("count", 0) >= most:
            per = challenge["maxResponsesPerMemberInterval"]
            raise Conflict(
                "frequency_limit_reached",
                f"The member has responded {most} times to this challenge"
                + ("." if per == "lifetime" else f" this {per} (UTC)."),
            )
        at = clock.iso(now)
        response: ResponseRecord = {
            "responseId": ids.ulid(precise),
            "challengeId": challenge_id,
            "memberId": member_id,
            "answer": answer,
            "status": "approved" if activity else "pending",
            "transactionId": None,
            "reason": None,
            "createdAt": at,
            "decidedAt": at if activity else None,
            "limitWindow": None,
        }
        if activity is not None:
            items = _award(book, activity, cap, response, now)
        else:  # nothing of the member changes: the response commits only if the member is as read (not erased)
            items = [members_db.unchanged(tenant_id, book.before)]
        if limit_key is not None and most:
            interval = challenge["maxResponsesPerMemberInterval"]
            response["limitWindow"], forget_at = awards.window(interval, now)
            items.append(awards_db.count_one(limit_key, most, forget_at))
        items += challenges_db.put_new(tenant_id, response)
        return operation.commit(items, public_response(response))

    return run(caller, attempt)


def _pointer(tenant_id: str, response_id: str) -> dict[str, Any]:
    """Where a response lives (its member, its challenge): never changes, so cached per container."""
    found = cache.get(
        ("chresp", tenant_id, response_id), lambda: store.get(challenges_db.pointer_key(tenant_id, response_id))
    )
    return store.required(found, "challenge response")


def _pending(response: ResponseRecord) -> None:
    if response["status"] != "pending":
        raise Conflict("invalid_state", f"The response is {response['status']}: only a pending one can be decided.")


def approve(caller: Caller, response_id: str) -> dict[str, Any]:
    """pending → approved, with the award of the challenge's activity (as it is now) in the same transaction."""
    tenant_id = caller.tenant_id
    pointer = _pointer(tenant_id, response_id)
    member_id = pointer["memberId"]

    def attempt(operation: Operation) -> dict[str, Any]:
        now = clock.now()
        refused: Conflict | None = None
        try:
            activity = _earning_activity(tenant_id, load(tenant_id, pointer["challengeId"]))
        except Conflict as exc:  # answered once the response is known to be pending
            activity, refused = {}, exc
        cap_key = awards.counter_key(tenant_id, member_id, activity, now) if activity else None
        wanted: list[store.Key[Any]] = [
            challenges_db.response_key(tenant_id, member_id, response_id),
            members_db.key(tenant_id, member_id),
            *([cap_key] if cap_key else []),
        ]
        response, member, *cap = operation.read(wanted)
        response = store.required(response, "challenge response")
        _pending(response)
        if refused is not None:
            raise refused
        decided = cast("ResponseRecord", {**store.plain(response), "status": "approved", "decidedAt": clock.iso(now)})
        items = _award(
            Book(tenant_id, store.required(member, "member")), activity, cap[0] if cap else None, decided, now
        )
        changes = {name: decided[name] for name in ("status", "decidedAt", "transactionId")}
        items.append(challenges_db.decide(tenant_id, response, changes))
        return operation.commit(items, public_response(decided), 200)

    return run(caller, attempt)


def reject(caller: Caller, response_id: str, body: ResponseReject) -> dict[str, Any]:
    """pending → rejected with a reason; nothing is awarded."""
    tenant_id = caller.tenant_id
    pointer = _pointer(tenant_id, response_id)

    def attempt(operation: Operation) -> dict[str, Any]:
        key = challenges_db.response_key(tenant_id, pointer["memberId"], response_id)
        response = operation.read_existing(key, "challenge response")
        _pending(response)
        changes = {"status": "rejected", "reason": body.reason, "decidedAt": clock.iso(clock.now())}
        decided = cast("ResponseRecord", {**store.plain(response), **changes})
        return operation.commit([challenges_db.decide(tenant_id, response, changes)], public_response(decided), 200)

    return run(caller, attempt)


def list_challenge_responses(tenant_id: str, challenge_id: str, query: ResponseListQuery) -> Page[list[dict[str, Any]]]:
    """A challenge's responses, newest first (a scatter-gather of its shards: one Query at the default count)."""
    page = paging.request(tenant_id, f"challenge-responses:{challenge_id}", query.given())
    collection = challenges_db.of_challenge(tenant_id, challenge_id)
    items, last = challenges_db.page(collection, query.status, page.limit, page.start)
    if not items and page.first:
        load(tenant_id, challenge_id)  # an empty first page: 404 if the challenge does not exist
    return Page([public_response(item) for item in items], page.next_token(last))


def list_member_responses(tenant_id: str, member_id: str, query: ResponseListQuery) -> Page[list[dict[str, Any]]]:
    """A member's responses, newest first: one Query of the member's own partition."""
    page = paging.request(tenant_id, f"member-challenge-responses:{member_id}", query.given())
    collection = challenges_db.of_member(tenant_id, member_id)
    items, last = challenges_db.page(collection, query.status, page.limit, page.start)
    if not items and page.first:
        members.load(tenant_id, member_id)  # an empty first page: 404 if the member does not exist
    return Page([public_response(item) for item in items], page.next_token(last))
