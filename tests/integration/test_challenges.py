"""Challenges over the local API (issue 25 item 1): the catalog, responses with limits in UTC windows, approval
that awards in the response's transaction, rejection, the races of §11, bad answers, tenants and scopes."""

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.concurrency import at_once
from tests.support.frozen_clock import frozen_at
from tests.support.ledger import activity, assert_ledger_clean, balance, member
from tests.support.local import ok, tenant_digest

pytestmark = pytest.mark.xdist_group("concurrency")

START = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    yield from frozen_at(START)


def challenge(tenant: Any, challenge_id: str, **fields: Any) -> dict[str, Any]:
    body = {"challengeId": challenge_id, "name": challenge_id.title(), "type": "text", "activityId": "steps", **fields}
    return ok(201, tenant.admin.post("/challenges", {"status": "published", **body})).data


def respond(client: Any, challenge_id: str, member_id: str, answer: Any = None, **kw: Any) -> Any:
    body = {"memberId": member_id, "answer": {"text": "done"} if answer is None else answer}
    return client.post(f"/challenges/{challenge_id}/responses", body, **kw)


def setup(tenant: Any, **activity_fields: Any) -> str:
    activity(tenant.admin, "steps", points=40, **activity_fields)
    return member(tenant.integration, "ada@example.com")


def test_catalog_create_read_list_update_forward_only(tenant):
    setup(tenant)
    made = challenge(tenant, "steps-10k", status="draft", maxResponsesPerMember=2, maxResponsesPerMemberInterval="week")
    assert made["approvalMethod"] == "manual" and made["status"] == "draft" and made["segmentIds"] == []
    assert ok(200, tenant.read.get("/challenges/steps-10k")).data == made
    again = tenant.admin.post(
        "/challenges", {"challengeId": "steps-10k", "name": "x", "type": "text", "activityId": "steps"}
    )
    assert (again.status, again.code) == (409, "duplicate")
    assert (
        tenant.admin.post(
            "/challenges", {"challengeId": "c2", "name": "x", "type": "text", "activityId": "nope"}
        ).status
        == 400
    )
    activity(tenant.admin, "mult", type="multiplier", multiplier=2)
    assert (
        tenant.admin.post(
            "/challenges", {"challengeId": "c2", "name": "x", "type": "text", "activityId": "mult"}
        ).status
        == 400
    )
    bad_dates = {"startDate": "2026-05-01T00:00:00Z", "endDate": "2026-04-01T00:00:00Z"}
    assert tenant.admin.patch("/challenges/steps-10k", bad_dates).status == 400
    published = ok(200, tenant.admin.patch("/challenges/steps-10k", {"status": "published"})).data
    assert published["status"] == "published"
    back = tenant.admin.patch("/challenges/steps-10k", {"status": "draft"})
    assert (back.status, back.code) == (409, "invalid_state")
    challenge(tenant, "other")
    assert [c["challengeId"] for c in ok(200, tenant.read.get("/challenges?status=published")).data] == [
        "other",
        "steps-10k",
    ]
    ok(200, tenant.admin.patch("/challenges/steps-10k", {"status": "archived"}))
    frozen_out = tenant.admin.patch("/challenges/steps-10k", {"name": "new"})
    assert (frozen_out.status, frozen_out.code) == (409, "invalid_state")
    assert [c["challengeId"] for c in tenant.read.get("/challenges?status=archived").data] == ["steps-10k"]


def test_manual_response_then_approve_awards_once_and_reject_refuses_a_decided_one(tenant):
    m = setup(tenant, approvalMethod="delayed")  # the challenge's method decides: its award is approved at once
    challenge(tenant, "photo", type="photo")
    key = {"Idempotency-Key": "resp-1"}
    made = respond(tenant.integration, "photo", m, {"url": "https://img.example.com/a.jpg"}, headers=key)
    assert made.status == 201, made.text
    response = made.data
    assert (response["status"], response["transactionId"], response["decidedAt"]) == ("pending", None, None)
    replay = respond(tenant.integration, "photo", m, {"url": "https://img.example.com/a.jpg"}, headers=key)
    assert (replay.status, replay.text, replay.headers.get("idempotent-replayed")) == (201, made.text, "true")
    assert balance(tenant.read, m) == {**balance(tenant.read, m), "available": 0, "pending": 0}
    approved = ok(200, tenant.admin.post(f"/challenge-responses/{response['responseId']}/approve")).data
    assert approved["status"] == "approved" and approved["decidedAt"] and approved["transactionId"]
    tx = ok(200, tenant.read.get(f"/transactions/{approved['transactionId']}")).data
    assert (tx["type"], tx["status"], tx["points"], tx["activityId"]) == ("award", "approved", 40, "steps")
    assert balance(tenant.read, m)["available"] == 40
    twice = tenant.admin.post(f"/challenge-responses/{response['responseId']}/approve")
    assert (twice.status, twice.code) == (409, "invalid_state")
    late = tenant.admin.post(f"/challenge-responses/{response['responseId']}/reject", {"reason": "no"})
    assert (late.status, late.code) == (409, "invalid_state")
    second = ok(201, respond(tenant.integration, "photo", m)).data
    assert tenant.admin.post(f"/challenge-responses/{second['responseId']}/reject", {}).status == 400  # reason
    rejected = ok(200, tenant.admin.post(f"/challenge-responses/{second['responseId']}/reject", {"reason": "blurry"}))
    assert (rejected.data["status"], rejected.data["reason"], rejected.data["transactionId"]) == (
        "rejected",
        "blurry",
        None,
    )
    mine = ok(200, tenant.read.get(f"/members/{m}/challenge-responses")).data
    assert [r["responseId"] for r in mine] == [second["responseId"], response["responseId"]]  # newest first
    assert [r["status"] for r in tenant.read.get(f"/members/{m}/challenge-responses?status=approved").data] == [
        "approved"
    ]
    listed = ok(200, tenant.read.get("/challenges/photo/responses?status=rejected")).data
    assert [r["responseId"] for r in listed] == [second["responseId"]]
    assert tenant.read.get("/challenges/nope/responses").status == 404
    assert tenant.read.get("/members/01ARZ3NDEKTSV4RRFFQ69G5FAV/challenge-responses").status == 404
    assert balance(tenant.read, m)["available"] == 40
    assert_ledger_clean(tenant.tenant_id)


def test_immediate_awards_in_the_responses_transaction_and_the_activity_cap_applies(tenant):
    m = setup(tenant, maxAwardFrequency=1, maxAwardFrequencyInterval="lifetime")
    challenge(tenant, "checkin", type="checkin", approvalMethod="immediate")
    first = ok(201, respond(tenant.integration, "checkin", m)).data
    assert first["status"] == "approved" and first["transactionId"] and first["decidedAt"] == first["createdAt"]
    assert balance(tenant.read, m)["available"] == 40
    before = tenant_digest(tenant.tenant_id)
    capped = respond(tenant.integration, "checkin", m)  # the activity's own cap: nothing stored
    assert (capped.status, capped.code) == (409, "frequency_limit_reached")
    assert tenant_digest(tenant.tenant_id) == before
    ok(200, tenant.admin.patch("/activities/steps", {"isActive": False}))
    inactive = respond(tenant.integration, "checkin", m)
    assert (inactive.status, inactive.code) == (409, "activity_inactive")
    assert_ledger_clean(tenant.tenant_id)


def test_draft_archived_and_outside_dates_are_invalid_state_unknowns_404(tenant, frozen):
    m = setup(tenant)
    challenge(tenant, "draft", status="draft")
    challenge(tenant, "later", startDate="2026-03-11T00:00:00Z")
    challenge(tenant, "ended", endDate="2026-03-10T11:59:59Z")
    challenge(tenant, "edge", endDate="2026-03-10T12:00:00Z")  # endDate inclusive
    challenge(tenant, "gone")
    ok(200, tenant.admin.patch("/challenges/gone", {"status": "archived"}))
    before = tenant_digest(tenant.tenant_id)
    for challenge_id in ("draft", "later", "ended", "gone"):
        refused = respond(tenant.integration, challenge_id, m)
        assert (refused.status, refused.code) == (409, "invalid_state"), (challenge_id, refused.text)
    assert respond(tenant.integration, "nope", m).status == 404
    assert respond(tenant.integration, "edge", "01ARZ3NDEKTSV4RRFFQ69G5FAV").status == 404
    assert tenant.admin.post("/challenge-responses/01ARZ3NDEKTSV4RRFFQ69G5FAV/approve").status == 404
    assert tenant_digest(tenant.tenant_id) == before
    assert respond(tenant.integration, "edge", m).status == 201
    ok(200, tenant.admin.patch(f"/members/{m}", {"status": "suspended"}))
    suspended = respond(tenant.integration, "edge", m)
    assert (suspended.status, suspended.code) == (409, "invalid_state")


def test_daily_limit_window_boundary_2330_to_0030_utc(tenant, frozen):
    m = setup(tenant)
    challenge(tenant, "daily", maxResponsesPerMember=1, maxResponsesPerMemberInterval="day")
    frozen.current = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)
    assert respond(tenant.integration, "daily", m).status == 201
    again = respond(tenant.integration, "daily", m)
    assert (again.status, again.code) == (409, "frequency_limit_reached")
    frozen.current = datetime(2026, 3, 10, 23, 59, 59, tzinfo=UTC)
    assert respond(tenant.integration, "daily", m).code == "frequency_limit_reached"
    frozen.current = datetime(2026, 3, 11, 0, 30, tzinfo=UTC)  # the next UTC day: one more
    assert respond(tenant.integration, "daily", m).status == 201
    assert respond(tenant.integration, "daily", m).code == "frequency_limit_reached"
    other = member(tenant.integration, "other@example.com")
    assert respond(tenant.integration, "daily", other).status == 201  # per member
    assert_ledger_clean(tenant.tenant_id)


@pytest.mark.parametrize("method", ["manual", "immediate"])  # manual: the limit counter's condition alone holds it
def test_ten_responses_at_once_to_a_one_a_day_challenge_store_one(local_api, tenant, method):
    m = setup(tenant)
    challenge(tenant, "daily", approvalMethod=method, maxResponsesPerMember=1, maxResponsesPerMemberInterval="day")
    replies = at_once(local_api, 10, lambda i: respond(tenant.integration, "daily", m, {"n": i}))
    outcome = Counter((r.status, r.code) for r in replies)
    assert outcome == {(201, None): 1, (409, "frequency_limit_reached"): 9}, outcome
    assert len(tenant.read.get(f"/members/{m}/challenge-responses").data) == 1
    assert len(tenant.read.get("/challenges/daily/responses").data) == 1
    assert balance(tenant.read, m)["available"] == (40 if method == "immediate" else 0)
    assert_ledger_clean(tenant.tenant_id)


def test_twenty_concurrent_approvals_award_once(local_api, tenant):
    m = setup(tenant)
    challenge(tenant, "photo")
    response_id = ok(201, respond(tenant.integration, "photo", m)).data["responseId"]
    replies = at_once(local_api, 20, lambda i: tenant.admin.post(f"/challenge-responses/{response_id}/approve"))
    outcome = Counter((r.status, r.code) for r in replies)
    assert outcome == {(200, None): 1, (409, "invalid_state"): 19}, outcome
    awards = tenant.read.get(f"/members/{m}/transactions?type=award").data
    assert len(awards) == 1 and balance(tenant.read, m)["available"] == 40
    assert_ledger_clean(tenant.tenant_id)


def test_approve_and_reject_race_one_wins(local_api, tenant):
    m = setup(tenant)
    challenge(tenant, "photo")
    for round_ in range(3):
        response_id = ok(201, respond(tenant.integration, "photo", m, {"round": round_})).data["responseId"]

        def decide(i: int, response_id: str = response_id) -> Any:
            path = f"/challenge-responses/{response_id}/"
            if i % 2:
                return tenant.admin.post(path + "reject", {"reason": "no"})
            return tenant.admin.post(path + "approve")

        replies = at_once(local_api, 6, decide)
        winners = [r for r in replies if r.status == 200]
        assert len(winners) == 1 and all(r.code == "invalid_state" for r in replies if r.status != 200), replies
        stored = next(
            r for r in tenant.read.get(f"/members/{m}/challenge-responses").data if r["responseId"] == response_id
        )
        assert stored["status"] == winners[0].data["status"]
    approved = [r for r in tenant.read.get(f"/members/{m}/challenge-responses?status=approved").data]
    assert balance(tenant.read, m)["available"] == 40 * len(approved)
    assert_ledger_clean(tenant.tenant_id)


def nested(levels: int) -> dict[str, Any]:
    """An answer object `levels` deep (the object itself is level 1)."""
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


def test_oversized_and_deep_answers_are_400_nothing_stored(tenant):
    m = setup(tenant)
    challenge(tenant, "free", type="custom")
    before = tenant_digest(tenant.tenant_id)
    base = {"t": ""}
    filler = 4096 - len(json.dumps(base, separators=(",", ":")).encode())
    exact = {"t": "x" * filler}
    over = {"t": "x" * (filler + 1)}
    refused = respond(tenant.integration, "free", m, over)
    assert (refused.status, refused.code) == (400, "validation_error"), refused.text
    assert respond(tenant.integration, "free", m, nested(9)).status == 400
    raw = (json.dumps({"memberId": m})[:-1] + ', "answer": ' + '{"a":' * 1000 + "1" + "}" * 1000 + "}").encode()
    deep = tenant.integration.post("/challenges/free/responses", raw=raw)
    assert (deep.status, deep.code) == (400, "validation_error"), deep.text
    for bad in ([1, 2], "text", None):
        assert respond(tenant.integration, "free", m, bad if bad is not None else 5).status == 400
    infinite = tenant.integration.post(
        "/challenges/free/responses", raw=(json.dumps({"memberId": m})[:-1] + ', "answer": {"n": 1e999}}').encode()
    )
    assert infinite.status == 400, infinite.text
    assert tenant_digest(tenant.tenant_id) == before
    assert respond(tenant.integration, "free", m, exact).status == 201  # exactly 4 KiB
    made = ok(201, respond(tenant.integration, "free", m, nested(8))).data
    assert made["answer"] == nested(8)


def test_cross_tenant_ids_are_404_and_scopes_are_403(local_api, tenant):
    m = setup(tenant)
    challenge(tenant, "photo")
    response_id = ok(201, respond(tenant.integration, "photo", m)).data["responseId"]
    other = local_api.new_tenant("o")
    activity(other.admin, "steps", points=1)
    challenge(other, "photo")
    theirs = member(other.integration, "them@example.com")
    assert other.read.get("/challenges/nope").status == 404
    assert other.admin.post(f"/challenge-responses/{response_id}/approve").status == 404
    assert other.admin.post(f"/challenge-responses/{response_id}/reject", {"reason": "x"}).status == 404
    assert respond(other.integration, "photo", m).status == 404  # our member, their challenge
    assert respond(tenant.integration, "photo", theirs).status == 404
    assert other.read.get(f"/members/{m}/challenge-responses").status == 404
    body = {"challengeId": "c", "name": "c", "type": "text", "activityId": "steps"}
    for client, call in (
        (tenant.integration, lambda c: c.post("/challenges", body)),
        (tenant.integration, lambda c: c.patch("/challenges/photo", {"name": "x"})),
        (tenant.integration, lambda c: c.post(f"/challenge-responses/{response_id}/approve")),
        (tenant.integration, lambda c: c.post(f"/challenge-responses/{response_id}/reject", {"reason": "x"})),
        (tenant.read, lambda c: respond(c, "photo", m)),
    ):
        refused = call(client)
        assert (refused.status, refused.code) == (403, "forbidden"), refused.text
    assert tenant.read.get("/challenges/photo/responses").status == 200
    assert_ledger_clean(tenant.tenant_id)


def test_erasure_nulls_the_members_answers(tenant):
    m = setup(tenant)
    challenge(tenant, "photo")
    respond(tenant.integration, "photo", m, {"name": "Ada Lovelace"}, headers={"Idempotency-Key": "erase-me"})
    ok(200, tenant.admin.delete(f"/members/{m}"))
    (shown,) = tenant.read.get("/challenges/photo/responses").data
    assert shown["answer"] is None and shown["memberId"] == m
    replay = respond(tenant.integration, "photo", m, {"name": "Ada Lovelace"}, headers={"Idempotency-Key": "erase-me"})
    assert "Lovelace" not in replay.text


def test_the_checker_sees_a_second_award_and_a_wrong_limit_counter(tenant, frozen):
    from loyalty.repository import challenges as challenges_db
    from loyalty.repository import store
    from loyalty.services import checker

    m = setup(tenant)
    challenge(tenant, "daily", approvalMethod="immediate", maxResponsesPerMember=2, maxResponsesPerMemberInterval="day")
    made = ok(201, respond(tenant.integration, "daily", m)).data
    assert_ledger_clean(tenant.tenant_id)
    counter = challenges_db.counter_key(tenant.tenant_id, m, "daily", "2026-03-10")
    store.transact([store.update(counter, add={"count": 1})])
    fields = {p["field"] for p in checker.check([tenant.tenant_id])["problems"]}
    assert fields == {"challengeLimits"}, fields
    store.transact([store.update(counter, add={"count": -1})])
    key = challenges_db.response_key(tenant.tenant_id, m, made["responseId"])
    store.transact([store.update(key, set_values={"transactionId": None, "status": "pending"})])
    problems = checker.check([tenant.tenant_id])["problems"]
    assert [p["field"] for p in problems] == ["challengeResponses"], problems


def test_outside_the_segments_is_not_eligible_and_everyone_reads_no_segment(tenant, monkeypatch):
    """`targeting.eligible` (the segments' own tests cover its rules) decides; a challenge without segments never
    asks it. Here it is replaced by a stand-in that records its arguments."""
    from loyalty.services import targeting

    asked = []

    def eligible(tenant_id, member_id, segment_ids, excluded_segment_ids, member=None):
        asked.append((tenant_id, member_id, list(segment_ids), list(excluded_segment_ids), member["memberId"]))
        return member_id != outsider

    monkeypatch.setattr(targeting, "eligible", eligible)
    m = setup(tenant)
    outsider = member(tenant.integration, "outsider@example.com")
    challenge(tenant, "open")
    challenge(tenant, "gold", segmentIds=["gold"], excludedSegmentIds=["staff"], approvalMethod="immediate")
    assert respond(tenant.integration, "open", outsider).status == 201
    assert asked == []  # no segments: nobody is asked
    before = tenant_digest(tenant.tenant_id)
    refused = respond(tenant.integration, "gold", outsider)
    assert (refused.status, refused.code) == (409, "not_eligible"), refused.text
    assert tenant_digest(tenant.tenant_id) == before
    assert respond(tenant.integration, "gold", m).status == 201
    assert asked == [
        (tenant.tenant_id, outsider, ["gold"], ["staff"], outsider),
        (tenant.tenant_id, m, ["gold"], ["staff"], m),
    ]
    assert balance(tenant.read, m)["available"] == 40 and balance(tenant.read, outsider)["available"] == 0
