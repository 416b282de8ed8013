"""Webhook endpoints through the service (on the embedded table): the store, the limit's guard, secrets and their
rotation, and what delivery reads (`endpoints_for`, `endpoint`) and records (`record_outcome`, `disable`)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest
from loyalty import clock, url_guard
from loyalty.errors import Conflict, NotFound, ValidationFailed
from loyalty.models.types import checked
from loyalty.models.webhooks import WebhookCreate, WebhookListQuery, WebhookUpdate
from loyalty.operation import Caller
from loyalty.repository import counters, store
from loyalty.repository import webhooks as webhooks_db
from loyalty.services import checker, tenants, webhooks

pytestmark = pytest.mark.usefixtures("fresh_table")
TENANT = "wh"
URL = "http://127.0.0.1:9/hook"
START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def scene(monkeypatch):
    monkeypatch.setenv(url_guard.ALLOW_LOCAL_ENV, "1")
    tenants.create_tenant(TENANT, "Webhooks")
    stopped = clock.FrozenClock(START)
    clock.use(stopped)
    return stopped


def caller(tenant: str = TENANT) -> Caller:
    return Caller(tenant, admin=True)


def create(tenant: str = TENANT, **body: Any) -> dict[str, Any]:
    return webhooks.create_webhook(caller(tenant), checked(WebhookCreate, {"url": URL, "events": ["*"], **body}))


def update(webhook_id: str, **body: Any) -> dict[str, Any]:
    return webhooks.update_webhook(caller(), webhook_id, checked(WebhookUpdate, body))


def test_a_created_endpoint_is_stored_and_shown_with_its_secret():
    made = create(events=["points.awarded", "tier.changed", "points.awarded"], description="CRM")
    assert made["webhookId"].startswith("wh_") and len(made["webhookId"]) == 29
    assert made["events"] == ["points.awarded", "tier.changed"]  # each once, in the order given
    assert made["enabled"] is True and made["disabledReason"] is None and made["failingSince"] is None
    assert made["createdAt"] == made["updatedAt"] == "2026-06-01T12:00:00Z"
    assert webhooks.get_webhook(TENANT, made["webhookId"]) == made
    assert webhooks_db.stored_count(TENANT) == 1


def test_secrets_are_whsec_and_standard_base64_of_32_random_bytes():
    made = {webhooks.new_secret() for _ in range(500)}
    assert len(made) == 500
    for secret in made:
        assert secret.startswith("whsec_")
        raw = base64.b64decode(secret.removeprefix("whsec_"), validate=True)  # standard alphabet, padded
        assert len(raw) == 32
    alphabet = "".join(made)
    assert "+" in alphabet or "/" in alphabet  # not the URL-safe alphabet (500 x 43 characters: both occur)
    assert "-" not in alphabet.replace("whsec_", "") and "_" not in alphabet.replace("whsec_", "")


def test_the_21st_endpoint_is_refused_and_a_delete_frees_a_slot():
    made = [create()["webhookId"] for _ in range(webhooks.MAX_ENDPOINTS)]
    for _ in range(3):
        with pytest.raises(Conflict) as refused:
            create()
        assert refused.value.code == "limit_reached"
    assert webhooks_db.stored_count(TENANT) == 20 and len(webhooks_db.all_endpoints(TENANT)) == 20
    webhooks.delete_webhook(caller(), made[3])
    with pytest.raises(NotFound):
        webhooks.get_webhook(TENANT, made[3])
    with pytest.raises(NotFound):
        webhooks.delete_webhook(caller(), made[3])
    assert webhooks_db.stored_count(TENANT) == 19
    create()
    assert webhooks_db.stored_count(TENANT) == 20
    assert checker.check([TENANT])["problems"] == []


def test_the_limit_is_per_tenant():
    tenants.create_tenant("wh2", "Other")
    for _ in range(webhooks.MAX_ENDPOINTS):
        create()
    assert create("wh2")["webhookId"]


@pytest.mark.parametrize(
    "body",
    [
        {"events": []},
        {"events": ["points.nope"]},
        {"events": ["*", "points.awarded"]},
        {"events": "points.awarded"},
        {"url": "http://10.0.0.1/hook"},
        {"url": "ftp://127.0.0.1/"},
        {"url": "https://good.com@10.0.0.1/"},
        {"url": "http://2130706433/"},
        {"url": ""},
        {"url": "https://a.example/" + "x" * 2048},
        {"description": "x" * 501},
        {"secret": "whsec_mine"},
        {"enabled": False},
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(body):
    with pytest.raises(ValidationFailed):
        create(**body)
    assert webhooks_db.all_endpoints(TENANT) == [] and webhooks_db.stored_count(TENANT) == 0


def test_update_changes_what_is_given_and_pausing_then_enabling_clears_the_reasons(scene):
    made = create()
    scene.advance(minutes=1)
    changed = update(made["webhookId"], url="http://localhost:7/other", events=["member.created"], description=None)
    assert (changed["url"], changed["events"], changed["updatedAt"]) == (
        "http://localhost:7/other",
        ["member.created"],
        "2026-06-01T12:01:00Z",
    )
    assert changed["secret"] == made["secret"] and changed["createdAt"] == made["createdAt"]
    paused = update(made["webhookId"], enabled=False)
    assert (paused["enabled"], paused["disabledReason"]) == (False, "paused")
    webhooks.record_outcome(TENANT, made["webhookId"], False, "2026-06-01T12:02:00Z")
    again = update(made["webhookId"], enabled=True)
    assert (again["enabled"], again["disabledReason"], again["failingSince"]) == (True, None, None)
    with pytest.raises(ValidationFailed):
        update(made["webhookId"], url="https://169.254.169.254/")
    with pytest.raises(ValidationFailed):
        update(made["webhookId"], enabled=None)
    with pytest.raises(NotFound):
        update("wh_01ARZ3NDEKTSV4RRFFQ69G5FAV", enabled=True)
    assert webhooks.get_webhook(TENANT, made["webhookId"]) == again


def test_rotation_keeps_the_previous_secret_signing_for_24_hours(scene):
    made = create()
    webhook_id = made["webhookId"]
    assert webhooks.endpoint(TENANT, webhook_id).secrets == (made["secret"],)
    rotated = webhooks.rotate_secret(caller(), webhook_id)
    assert rotated["secret"] != made["secret"] and rotated["previousSecretExpiresAt"] == "2026-06-02T12:00:00Z"
    assert webhooks.endpoint(TENANT, webhook_id).secrets == (rotated["secret"], made["secret"])
    assert webhooks.endpoints_for(TENANT, "member.created")[0].secrets == (rotated["secret"], made["secret"])
    scene.advance(hours=23, minutes=59, seconds=59)
    assert len(webhooks.endpoint(TENANT, webhook_id).secrets) == 2
    scene.advance(seconds=1)
    assert webhooks.endpoint(TENANT, webhook_id).secrets == (rotated["secret"],)
    assert webhooks.get_webhook(TENANT, webhook_id)["previousSecretExpiresAt"] is None


def test_a_second_rotation_drops_the_first_secret_at_once():
    made = create()
    first = webhooks.rotate_secret(caller(), made["webhookId"])
    second = webhooks.rotate_secret(caller(), made["webhookId"])
    assert webhooks.endpoint(TENANT, made["webhookId"]).secrets == (second["secret"], first["secret"])


def test_endpoints_for_answers_the_enabled_subscribers_of_a_type():
    every = create()["webhookId"]
    points = create(events=["points.awarded", "points.expired"])["webhookId"]
    tiers = create(events=["tier.changed"])["webhookId"]
    paused = create(events=["points.awarded"])["webhookId"]
    update(paused, enabled=False)

    def ids(event_type: str) -> set[str]:
        return {endpoint.webhook_id for endpoint in webhooks.endpoints_for(TENANT, event_type)}

    assert ids("points.awarded") == {every, points}
    assert ids("tier.changed") == {every, tiers}
    assert ids("import.completed") == {every}
    assert webhooks.endpoints_for("nobody", "points.awarded") == []
    found = webhooks.endpoint(TENANT, paused)
    assert (found.enabled, found.events, found.url, found.tenant_id) == (False, ("points.awarded",), URL, TENANT)
    webhooks.delete_webhook(caller(), every)
    assert ids("import.completed") == set()
    with pytest.raises(NotFound):
        webhooks.endpoint(TENANT, every)


def _stored(webhook_id: str) -> dict[str, Any]:
    return dict(store.get(webhooks_db.key(TENANT, webhook_id)) or {})


def test_record_outcome_writes_only_on_transitions_and_disables_after_5_days_failing():
    webhook_id = create()["webhookId"]
    version = _stored(webhook_id)["version"]
    webhooks.record_outcome(TENANT, webhook_id, True, "2026-06-01T12:00:00Z")
    assert _stored(webhook_id)["version"] == version  # healthy and still healthy: no write
    webhooks.record_outcome(TENANT, webhook_id, False, "2026-06-01T13:00:00Z")
    assert _stored(webhook_id)["failingSince"] == "2026-06-01T13:00:00Z"
    version = _stored(webhook_id)["version"]
    webhooks.record_outcome(TENANT, webhook_id, False, "2026-06-03T13:00:00Z")
    webhooks.record_outcome(TENANT, webhook_id, False, "2026-06-06T12:59:59Z")
    assert _stored(webhook_id)["version"] == version and _stored(webhook_id)["enabled"] is True
    webhooks.record_outcome(TENANT, webhook_id, True, "2026-06-06T13:00:00Z")
    assert _stored(webhook_id)["failingSince"] is None  # a success ends the streak
    webhooks.record_outcome(TENANT, webhook_id, False, "2026-06-07T00:00:00Z")
    webhooks.record_outcome(TENANT, webhook_id, False, "2026-06-12T00:00:00Z")  # 5 days into the new streak
    stored = _stored(webhook_id)
    assert (stored["enabled"], stored["disabledReason"], stored["failingSince"]) == (
        False,
        "failing",
        "2026-06-07T00:00:00Z",
    )
    version = stored["version"]
    webhooks.record_outcome(TENANT, webhook_id, False, "2026-06-13T00:00:00Z")  # idempotent
    assert _stored(webhook_id)["version"] == version
    assert webhook_id not in {e.webhook_id for e in webhooks.endpoints_for(TENANT, "member.created")}
    again = update(webhook_id, enabled=True)
    assert (again["enabled"], again["disabledReason"], again["failingSince"]) == (True, None, None)


def test_disable_and_outcomes_of_a_deleted_endpoint():
    webhook_id = create()["webhookId"]
    webhooks.disable(TENANT, webhook_id, "gone")
    stored = _stored(webhook_id)
    assert (stored["enabled"], stored["disabledReason"]) == (False, "gone")
    webhooks.disable(TENANT, webhook_id, "failing")  # already disabled: left as it is
    assert _stored(webhook_id) == stored
    webhooks.delete_webhook(caller(), webhook_id)
    webhooks.record_outcome(TENANT, webhook_id, False, "2026-06-01T13:00:00Z")  # gone: nothing to record
    webhooks.disable(TENANT, webhook_id, "gone")
    assert _stored(webhook_id) == {}


def test_the_list_is_newest_first_in_pages():
    made = [create()["webhookId"] for _ in range(5)]
    first = webhooks.list_webhooks(TENANT, checked(WebhookListQuery, {"limit": "3"}))
    assert [w["webhookId"] for w in first.items] == made[::-1][:3] and first.next_token
    rest = webhooks.list_webhooks(TENANT, checked(WebhookListQuery, {"limit": "3", "nextToken": first.next_token}))
    assert [w["webhookId"] for w in rest.items] == made[::-1][3:]


def test_the_checker_finds_a_count_that_differs_from_the_endpoints():
    for _ in range(3):
        create()
    assert checker.check([TENANT])["problems"] == []
    store.transact([store.update(webhooks_db.limit_key(TENANT), add={counters.LIMIT_COUNT: 1})])
    (problem,) = checker.check([TENANT])["problems"]
    assert problem == {
        "tenantId": TENANT,
        "problem": "webhook endpoints counted by the limit's guard",
        "stored": 4,
        "counted": 3,
    }
    store.transact([store.update(webhooks_db.limit_key(TENANT), add={counters.LIMIT_COUNT: -2})])
    assert checker.check([TENANT])["problems"][0]["stored"] == 2
