"""Request edges over the local API: body size to the byte, page size, Idempotency-Key length and characters,
the 24 h replay window to the second, and a key refused once revoked."""

from datetime import timedelta

import pytest
from loyalty.http import MAX_BODY_BYTES
from loyalty.services import tenants

from tests.support.boundaries import at, padded
from tests.support.ledger import activity, award, balance, member, outcome
from tests.support.local import tenant_digest


@pytest.mark.parametrize("name", ["Ada", "Zoë"], ids=["ascii", "two-byte"])
def test_a_body_of_64_kib_is_accepted_and_one_byte_more_is_refused(tenant, name):
    """Counted in UTF-8 bytes (ë is two), padded with insignificant whitespace around a valid enrolment."""
    assert MAX_BODY_BYTES == 65_536
    sizes = (65_536, 65_537)
    answers = {}
    for size in sizes:
        body = padded({"email": f"{size}@example.com", "firstName": name}, size)
        before = tenant_digest(tenant.tenant_id)
        reply = tenant.integration.call("POST", "/members", raw=body)
        answers[size] = (outcome(reply), before == tenant_digest(tenant.tenant_id))
    assert answers == {65_536: (201, False), 65_537: ("payload_too_large", True)}
    assert [m["email"] for m in tenant.read.get("/members").data] == ["65536@example.com"]


def test_page_sizes_1_to_100_default_25(tenant):
    ids = [f"a{n:03d}" for n in range(101)]
    for activity_id in ids:
        activity(tenant.admin, activity_id)

    def page(query: str) -> tuple[list[str], bool] | str | None:
        reply = tenant.read.get(f"/activities{query}")
        if reply.status != 200:
            return outcome(reply)
        return [a["activityId"] for a in reply.data], reply.json["nextToken"] is not None

    assert page("?limit=0") == page("?limit=101") == "validation_error"
    assert page("?limit=1") == (ids[:1], True)
    assert page("") == (ids[:25], True)
    assert page("?limit=100") == (ids[:100], True)
    token = tenant.read.get("/activities?limit=100").json["nextToken"]
    assert page(f"?limit=100&nextToken={token}") == (ids[100:], False)


@pytest.mark.parametrize(
    ("key", "accepted"),
    [
        ("", False),
        ("k", True),
        ("k" * 255, True),
        ("k" * 256, False),
        ("till 7 / sale 42", True),
        ("key\x01", False),
        ("a\tb", False),
        ("key\x7f", False),
        ("clé", False),
    ],
    ids=["0 chars", "1 char", "255 chars", "256 chars", "spaces", "control", "tab", "delete", "non-ascii"],
)
def test_idempotency_keys_are_1_to_255_printable_characters(tenant, key, accepted):
    """An accepted key awards once and replays the second call; a refused one is a 400 that awards nothing."""
    activity(tenant.admin, "visit", points=10)
    m = member(tenant.integration, "k@example.com")
    calls = [award(tenant.integration, m, "visit", headers={"Idempotency-Key": key}) for _ in range(2)]
    replayed = calls[1].headers.get("idempotent-replayed") == "true" and calls[1].text == calls[0].text
    refused_field = (calls[0].json.get("error") or {"details": [{}]})["details"][0].get("field")
    seen = ([outcome(c) for c in calls], replayed, refused_field, balance(tenant.read, m)["available"])
    assert seen == (
        ([201, 201], True, None, 10) if accepted else (["validation_error"] * 2, False, "Idempotency-Key", 0)
    )


@pytest.mark.parametrize(
    ("later", "replayed"),
    [(timedelta(hours=24, seconds=-1), True), (timedelta(hours=24), True), (timedelta(hours=24, seconds=1), False)],
    ids=["24h-1s", "24h", "24h+1s"],
)
def test_a_key_replays_for_24_hours_and_runs_afresh_after(tenant, frozen, later, replayed):
    frozen.current = at("2030-03-01T10:00:00Z")
    activity(tenant.admin, "visit", points=10)
    m = member(tenant.integration, "r@example.com")
    key = {"Idempotency-Key": "visit-1"}
    first = award(tenant.integration, m, "visit", headers=key)
    assert first.status == 201, first.text
    frozen.advance(seconds=later.total_seconds())
    again = award(tenant.integration, m, "visit", headers=key)
    assert again.status == 201, again.text
    assert (again.headers.get("idempotent-replayed") == "true", again.text == first.text) == (replayed, replayed)
    assert balance(tenant.read, m)["available"] == (10 if replayed else 20)


def test_a_key_that_worked_is_refused_once_revoked(local_api, tenant):
    """The local gateway asks the authorizer on every request (deployed: within its 60 s cache)."""
    issued = tenants.issue_key(tenant.tenant_id, ["integration"])
    client = local_api.anonymous(issued["key"])
    assert [client.get(path).status for path in ("/status", "/program")] == [200, 200]
    assert client.post("/members", {"email": "v@example.com"}).status == 201
    tenants.revoke_key(tenant.tenant_id, issued["keyId"])
    refused = [client.get("/status"), client.get("/program"), client.post("/members", {"email": "w@example.com"})]
    assert [(r.status, r.code) for r in refused] == [(401, "unauthorized")] * 3
    assert [m["email"] for m in tenant.read.get("/members").data] == ["v@example.com"]
    assert tenant.integration.get("/status").status == 200  # the tenant's other keys still work
