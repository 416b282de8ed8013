"""Webhook endpoints over the local API (§13): create, read, change, pause, delete, rotate; the 20-endpoint limit,
bad input refused with nothing stored, secrets, admin only, tenants apart, Idempotency-Key on the POSTs."""

from __future__ import annotations

import base64
from typing import Any

from loyalty.services import webhooks

from tests.support.ledger import assert_ledger_clean
from tests.support.local import Client, ok, tenant_digest, tenant_items

URL = "http://127.0.0.1:9/hook"
UNKNOWN = "wh_01ARZ3NDEKTSV4RRFFQ69G5FAV"


def create(client: Client, **body: Any) -> Any:
    return client.post("/webhooks", {"url": URL, "events": ["*"], **body})


def stored_endpoints(tenant_id: str) -> list[dict[str, Any]]:
    """The tenant's stored endpoint items (not the limit's guard), read straight from the table."""
    return [item for item in tenant_items(tenant_id) if item["sk"]["S"].startswith("wh_")]


def assert_secret(secret: str) -> None:
    assert secret.startswith("whsec_"), secret
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32


def test_an_endpoint_is_created_read_listed_changed_and_deleted(tenant):
    made = ok(
        201,
        create(tenant.admin, events=["points.awarded", "tier.changed"], description="CRM", url="http://localhost:9/x"),
    ).data
    assert made["webhookId"].startswith("wh_") and len(made["webhookId"]) == 29
    assert (made["url"], made["events"], made["description"]) == (
        "http://localhost:9/x",
        ["points.awarded", "tier.changed"],
        "CRM",
    )
    assert (made["enabled"], made["disabledReason"], made["failingSince"], made["previousSecretExpiresAt"]) == (
        True,
        None,
        None,
        None,
    )
    assert_secret(made["secret"])
    path = f"/webhooks/{made['webhookId']}"
    assert ok(200, tenant.admin.get(path)).data == made  # the secret is shown on GET too
    listed = ok(200, tenant.admin.get("/webhooks")).json
    assert listed == {"data": [made], "nextToken": None}
    changed = ok(200, tenant.admin.patch(path, {"events": ["member.created"], "description": None})).data
    assert (changed["events"], changed["description"], changed["url"], changed["secret"]) == (
        ["member.created"],
        None,
        made["url"],
        made["secret"],
    )
    paused = ok(200, tenant.admin.patch(path, {"enabled": False})).data
    assert (paused["enabled"], paused["disabledReason"]) == (False, "paused")
    assert webhooks.endpoints_for(tenant.tenant_id, "member.created") == []
    webhooks.disable(tenant.tenant_id, made["webhookId"], "gone")  # (paused already: left as it is)
    webhooks.record_outcome(tenant.tenant_id, made["webhookId"], False, "2026-01-01T00:00:00Z")
    assert ok(200, tenant.admin.get(path)).data["failingSince"] == "2026-01-01T00:00:00Z"
    enabled = ok(200, tenant.admin.patch(path, {"enabled": True})).data
    assert (enabled["enabled"], enabled["disabledReason"], enabled["failingSince"]) == (True, None, None)
    assert [e.webhook_id for e in webhooks.endpoints_for(tenant.tenant_id, "member.created")] == [made["webhookId"]]
    deleted = ok(204, tenant.admin.delete(path))
    assert deleted.text == ""
    for reply in (
        tenant.admin.get(path),
        tenant.admin.delete(path),
        tenant.admin.patch(path, {"enabled": True}),
        tenant.admin.post(f"{path}/rotate-secret"),
    ):
        assert (reply.status, reply.code) == (404, "not_found")
    assert ok(200, tenant.admin.get("/webhooks")).data == []
    assert stored_endpoints(tenant.tenant_id) == []
    assert_ledger_clean(tenant.tenant_id)


def test_40_creates_store_20_and_a_delete_frees_one_slot(tenant):
    replies = [create(tenant.admin) for _ in range(40)]
    assert [r.status for r in replies] == [201] * 20 + [409] * 20
    assert {r.code for r in replies[20:]} == {"limit_reached"}
    made = [r.data["webhookId"] for r in replies[:20]]
    assert len(set(made)) == 20 and len(stored_endpoints(tenant.tenant_id)) == 20
    first = ok(200, tenant.admin.get("/webhooks?limit=15")).json
    rest = ok(200, tenant.admin.get(f"/webhooks?limit=15&nextToken={first['nextToken']}")).json
    assert [w["webhookId"] for w in first["data"] + rest["data"]] == made[::-1] and rest["nextToken"] is None
    ok(204, tenant.admin.delete(f"/webhooks/{made[7]}"))
    ok(201, create(tenant.admin))
    assert create(tenant.admin).code == "limit_reached"
    assert len(stored_endpoints(tenant.tenant_id)) == 20
    assert_ledger_clean(tenant.tenant_id)  # the guard counts exactly the endpoints stored


def test_secrets_are_whsec_base64_of_32_bytes_and_all_distinct(tenant):
    made = [ok(201, create(tenant.admin)).data for _ in range(20)]
    rotated = [ok(200, tenant.admin.post(f"/webhooks/{w['webhookId']}/rotate-secret")).data for w in made]
    secrets = [w["secret"] for w in made + rotated]
    for secret in secrets:
        assert_secret(secret)
    assert len(set(secrets)) == 40


BAD_BODIES = [
    {"url": URL, "events": []},
    {"url": URL, "events": ["points.nope"]},
    {"url": URL, "events": ["member.created", "Member.Created"]},
    {"url": URL, "events": ["*", "member.created"]},
    {"url": URL, "events": "*"},
    {"url": URL, "events": ["*"] * 10_000},  # 10,000 subscriptions in one body (under 64 KiB)
    {"url": URL},
    {"events": ["*"]},
    {"url": "http://10.0.0.1/hook", "events": ["*"]},
    {"url": "http://169.254.169.254/latest/meta-data/", "events": ["*"]},
    {"url": "https://[fd00:ec2::254]/", "events": ["*"]},
    {"url": "http://[::ffff:10.0.0.1]/", "events": ["*"]},
    {"url": "http://2130706433/", "events": ["*"]},
    {"url": "http://0177.0.0.1/", "events": ["*"]},
    {"url": "https://good.com@10.0.0.1/", "events": ["*"]},
    {"url": "ftp://127.0.0.1/", "events": ["*"]},
    {"url": "file:///etc/passwd", "events": ["*"]},
    {"url": "https://" + "a" * 2050 + ".com/", "events": ["*"]},
    {"url": 5, "events": ["*"]},
    {"url": URL, "events": ["*"], "description": "x" * 501},
    {"url": URL, "events": ["*"], "secret": "whsec_AAAA"},
    {"url": URL, "events": ["*"], "enabled": False},
]


def test_bad_input_is_refused_with_nothing_stored(tenant):
    before = tenant_digest(tenant.tenant_id)
    for body in BAD_BODIES:
        reply = tenant.admin.post("/webhooks", body)
        assert (reply.status, reply.code) == (400, "validation_error"), (body, reply.text)
    made = ok(201, create(tenant.admin)).data
    path = f"/webhooks/{made['webhookId']}"
    after_create = tenant_digest(tenant.tenant_id)
    for body in [
        {"url": "http://10.0.0.1/"},
        {"events": []},
        {"events": ["nope"]},
        {"enabled": None},
        {"enabled": "false"},
        {"url": None},
        {"secret": "whsec_AAAA"},
        {"webhookId": "wh_mine"},
    ]:
        reply = tenant.admin.patch(path, body)
        assert (reply.status, reply.code) == (400, "validation_error"), (body, reply.text)
    assert tenant_digest(tenant.tenant_id) == after_create
    ok(204, tenant.admin.delete(path))
    assert stored_endpoints(tenant.tenant_id) == [] and before != after_create
    assert_ledger_clean(tenant.tenant_id)


def test_only_admin_keys_reach_any_webhook_route(tenant):
    made = ok(201, create(tenant.admin)).data
    path = f"/webhooks/{made['webhookId']}"
    calls = [
        ("POST", "/webhooks", {"url": URL, "events": ["*"]}),
        ("GET", "/webhooks", None),
        ("GET", path, None),
        ("PATCH", path, {"enabled": False}),
        ("DELETE", path, None),
        ("POST", f"{path}/rotate-secret", None),
    ]
    before = tenant_digest(tenant.tenant_id)
    for client in (tenant.read, tenant.integration):
        for method, route, body in calls:
            reply = client.call(method, route, body)
            assert (reply.status, reply.code) == (403, "forbidden"), (method, route, reply.text)
            assert "whsec_" not in reply.text
    assert tenant_digest(tenant.tenant_id) == before
    assert ok(200, tenant.admin.get(path)).data == made


def test_another_tenants_endpoint_is_not_found(local_api, tenant):
    other = local_api.new_tenant()
    made = ok(201, create(other.admin)).data
    path = f"/webhooks/{made['webhookId']}"
    before = tenant_digest(other.tenant_id)
    for reply in (
        tenant.admin.get(path),
        tenant.admin.patch(path, {"enabled": False}),
        tenant.admin.delete(path),
        tenant.admin.post(f"{path}/rotate-secret"),
    ):
        assert (reply.status, reply.code) == (404, "not_found"), reply.text
    assert ok(200, tenant.admin.get("/webhooks")).data == []
    assert tenant_digest(other.tenant_id) == before
    for _ in range(20):  # the limit is each tenant's own
        ok(201, create(tenant.admin))
    assert ok(201, create(other.admin))


def test_rotation_keeps_two_secrets_live_for_24_hours_then_one(tenant, frozen):
    made = ok(201, create(tenant.admin)).data
    webhook_id = made["webhookId"]
    assert webhooks.endpoint(tenant.tenant_id, webhook_id).secrets == (made["secret"],)
    frozen.advance(hours=1)
    rotated = ok(200, tenant.admin.post(f"/webhooks/{webhook_id}/rotate-secret")).data
    assert rotated["secret"] != made["secret"]
    assert rotated["previousSecretExpiresAt"] == "2026-05-02T10:00:00Z"
    assert rotated["updatedAt"] == "2026-05-01T10:00:00Z"
    assert ok(200, tenant.admin.get(f"/webhooks/{webhook_id}")).data == rotated
    assert webhooks.endpoint(tenant.tenant_id, webhook_id).secrets == (rotated["secret"], made["secret"])
    (subscribed,) = webhooks.endpoints_for(tenant.tenant_id, "points.awarded")
    assert subscribed.secrets == (rotated["secret"], made["secret"])
    frozen.advance(hours=23, minutes=59, seconds=59)
    assert len(webhooks.endpoint(tenant.tenant_id, webhook_id).secrets) == 2
    frozen.advance(seconds=1)  # 24 hours after the rotation
    assert webhooks.endpoint(tenant.tenant_id, webhook_id).secrets == (rotated["secret"],)
    shown = ok(200, tenant.admin.get(f"/webhooks/{webhook_id}")).data
    assert (shown["secret"], shown["previousSecretExpiresAt"]) == (rotated["secret"], None)


def test_idempotency_key_replays_a_create_and_a_rotation(tenant):
    key = {"Idempotency-Key": "wh-create-1"}
    body = {"url": URL, "events": ["tier.changed"]}
    first = ok(201, tenant.admin.post("/webhooks", body, headers=key))
    again = ok(201, tenant.admin.post("/webhooks", body, headers=key))
    assert again.text == first.text and again.headers.get("idempotent-replayed") == "true"
    assert len(stored_endpoints(tenant.tenant_id)) == 1
    other = tenant.admin.post("/webhooks", {**body, "events": ["*"]}, headers=key)
    assert (other.status, other.code) == (422, "idempotency_key_reused")
    path = f"/webhooks/{first.data['webhookId']}/rotate-secret"
    rotation = {"Idempotency-Key": "wh-rotate-1"}
    rotated = ok(200, tenant.admin.post(path, headers=rotation))
    replayed = ok(200, tenant.admin.post(path, headers=rotation))
    assert replayed.text == rotated.text and replayed.headers.get("idempotent-replayed") == "true"
    endpoint = webhooks.endpoint(tenant.tenant_id, first.data["webhookId"])
    assert endpoint.secrets == (rotated.data["secret"], first.data["secret"])  # rotated once, not twice
    assert_ledger_clean(tenant.tenant_id)
