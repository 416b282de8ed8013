"""§12 OAuth client credentials over the local API on DynamoDB Local: POST /oauth/token (form, JSON, Basic),
the tokens it issues used on the other routes, and every way a request or a token is refused."""

from __future__ import annotations

import base64
import json
import re
import secrets
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loyalty.apikeys import BEARER_PATTERN
from loyalty.repository import clients
from loyalty.services import oauth, oauth_tokens
from loyalty.services.authorizer import authorize

from tests.support.ledger import member
from tests.support.local import Client, ok, tenant_digest
from tests.support.oauth import FORM, basic, form, new_client, token_for

GRANT = "client_credentials"
ARN = "arn:aws:execute-api:us-east-1:1:a/Production/GET/status"
TOKEN_TEXT = re.compile(r"^[A-Za-z0-9_-]{1,512}$")


@pytest.fixture
def anonymous(local_api) -> Client:
    return local_api.anonymous()


def _fields(client, **more):
    return {"grant_type": GRANT, "client_id": client["clientId"], "client_secret": client["clientSecret"], **more}


def _bearer(local_api, token: str) -> Client:
    return local_api.anonymous(token)


def _assert_token_answer(reply, scope: str) -> str:
    assert reply.status == 200, reply.text
    assert reply.headers["cache-control"] == "no-store" and reply.headers["pragma"] == "no-cache"
    answer = reply.json
    assert set(answer) == {"access_token", "token_type", "expires_in", "scope"}, answer
    assert answer["token_type"] == "Bearer" and answer["expires_in"] == 3600 and answer["scope"] == scope
    token = answer["access_token"]
    assert TOKEN_TEXT.fullmatch(token) and len(token) <= 512 and "." not in token and "=" not in token
    assert re.fullmatch(BEARER_PATTERN, f"Bearer {token}")  # the deployed authorizer's identity validation
    return str(token)


def _refused(reply, status: int, error: str) -> None:
    assert (reply.status, reply.json.get("error")) == (status, error), reply.text
    assert set(reply.json) == {"error", "error_description"}, reply.text
    assert reply.headers["cache-control"] == "no-store"


def test_a_form_json_or_basic_request_gets_a_bare_token_answer(tenant, anonymous):
    client = new_client(tenant.tenant_id, ["integration", "read"])
    by_form = _assert_token_answer(form(anonymous, _fields(client)), "integration read")
    _assert_token_answer(anonymous.post("/oauth/token", _fields(client)), "integration read")
    by_basic = _assert_token_answer(
        form(anonymous, {"grant_type": GRANT, "scope": "read"}, basic(client["clientId"], client["clientSecret"])),
        "read",
    )
    assert by_basic != by_form  # (the same claims in the same second make the same token: it is deterministic)
    # a charset parameter on either media type is fine; unrecognised parameters are ignored (RFC 6749 §3.2)
    reply = anonymous.call(
        "POST",
        "/oauth/token",
        raw=f"grant_type={GRANT}&client_id={client['clientId']}&client_secret={client['clientSecret']}&x=1".encode(),
        content_type=FORM + "; charset=UTF-8",
    )
    _assert_token_answer(reply, "integration read")


def test_a_token_acts_with_its_clients_tenant_and_scopes(local_api, tenant, anonymous):
    writer = new_client(tenant.tenant_id, ["integration"])
    token = token_for(anonymous, writer)
    api = _bearer(local_api, token)
    assert ok(200, api.get("/status")).json["message"] == "ok"
    created = ok(201, api.post("/members", {"email": "oauth@example.com"})).data["memberId"]
    assert ok(200, tenant.read.get(f"/members/{created}")).data["email"] == "oauth@example.com"
    assert api.patch("/program", {"pointsExpiryDays": 30}).status == 403  # integration may not change the program
    # a token asked with a narrower scope: read only, so its POST is 403 (scope escalation refused)
    narrow = _bearer(local_api, token_for(anonymous, new_client(tenant.tenant_id, ["integration", "read"]), "read"))
    ok(200, narrow.get(f"/members/{created}"))
    refused = narrow.post("/members", {"email": "no@example.com"})
    assert (refused.status, refused.code) == (403, "forbidden")
    # another tenant's member is not found through this tenant's token
    other = local_api.new_tenant()
    theirs = member(other.integration, "theirs@example.com")
    assert (api.get(f"/members/{theirs}").status, api.get(f"/members/{theirs}").code) == (404, "not_found")
    assert api.patch(f"/members/{theirs}", {"firstName": "X"}).status == 404


def test_the_authorizer_names_the_client_as_the_caller(tenant, anonymous):
    client = new_client(tenant.tenant_id, ["read"])
    decision = authorize("Bearer " + token_for(anonymous, client), ARN)
    assert decision["principalId"] == f"{tenant.tenant_id}/{client['clientId']}"
    assert decision["context"] == {"tenantId": tenant.tenant_id, "scopes": "read", "keyId": client["clientId"]}


def test_scopes_outside_the_clients_are_invalid_scope(tenant, anonymous):
    client = new_client(tenant.tenant_id, ["read"])
    before = tenant_digest(tenant.tenant_id)
    for scope in ("admin", "read integration", "write", "read admin"):
        _refused(form(anonymous, _fields(client, scope=scope)), 400, "invalid_scope")
    assert tenant_digest(tenant.tenant_id) == before


def test_a_wrong_secret_and_an_unknown_client_get_the_very_same_answer(tenant, anonymous):
    client = new_client(tenant.tenant_id, ["read"])
    revoked = new_client(tenant.tenant_id, ["read"])
    oauth.revoke_client(revoked["clientId"])
    unknown = {"clientId": "oc_" + "0" * 26, "clientSecret": client["clientSecret"]}
    wrong = {"clientId": client["clientId"], "clientSecret": "cs_" + secrets.token_urlsafe(32)}
    for how in ("form", "basic"):
        answers = []
        for who in (unknown, wrong, revoked, {"clientId": "", "clientSecret": "x"}):
            if how == "form":
                reply = form(anonymous, _fields(who))
            else:
                reply = form(anonymous, {"grant_type": GRANT}, basic(who["clientId"], who["clientSecret"]))
            headers = {k: v for k, v in reply.headers.items() if k != "date"}
            answers.append((reply.status, reply.text, headers))
        assert len(set(json.dumps(a, sort_keys=True) for a in answers)) == 1, answers
        status, text, headers = answers[0]
        assert status == 401 and json.loads(text)["error"] == "invalid_client"
        assert headers["www-authenticate"].startswith("Basic "), headers  # every 401 (RFC 7235 §3.1)


def test_bad_requests_are_rfc_6749_errors_and_store_nothing(tenant, anonymous):
    client = new_client(tenant.tenant_id, ["read"])
    before = tenant_digest(tenant.tenant_id)
    cases = [
        (form(anonymous, _fields(client, grant_type="password")), 400, "unsupported_grant_type"),
        (form(anonymous, _fields(client, grant_type="authorization_code")), 400, "unsupported_grant_type"),
        (
            form(anonymous, {"client_id": client["clientId"], "client_secret": client["clientSecret"]}),
            400,
            "invalid_request",
        ),
        (form(anonymous, {"grant_type": GRANT}), 401, "invalid_client"),
        (form(anonymous, {"grant_type": GRANT, "client_id": client["clientId"]}), 401, "invalid_client"),
        (anonymous.call("POST", "/oauth/token", raw=b"", content_type=None), 400, "invalid_request"),
        (
            anonymous.call("POST", "/oauth/token", raw=b"grant_type=x", content_type="text/plain"),
            400,
            "invalid_request",
        ),
        (
            anonymous.call("POST", "/oauth/token", raw=b"{not json", content_type="application/json"),
            400,
            "invalid_request",
        ),
        (
            anonymous.call("POST", "/oauth/token", raw=b"[1, 2]", content_type="application/json"),
            400,
            "invalid_request",
        ),
        (anonymous.post("/oauth/token", {**_fields(client), "scope": ["read"]}), 400, "invalid_request"),
        (
            anonymous.post("/oauth/token", {"grant_type": GRANT, "client_id": 7, "client_secret": "x"}),
            400,
            "invalid_request",
        ),
        (
            anonymous.call(
                "POST", "/oauth/token", raw=f"grant_type={GRANT}&grant_type={GRANT}".encode(), content_type=FORM
            ),
            400,
            "invalid_request",
        ),
        (anonymous.call("POST", "/oauth/token", raw=b"grant_type=%ZZ&&=", content_type=FORM), 400, "invalid_request"),
        # one way of client authentication, not two
        (
            form(anonymous, _fields(client), basic(client["clientId"], client["clientSecret"])),
            400,
            "invalid_request",
        ),
        (form(anonymous, {"grant_type": GRANT}, {"Authorization": "Basic !!!"}), 401, "invalid_client"),
        (
            form(anonymous, _fields(client), {"Authorization": "Bearer " + client["clientSecret"]}),
            401,
            "invalid_client",
        ),
    ]
    for reply, status, error in cases:
        _refused(reply, status, error)
    too_big = anonymous.call("POST", "/oauth/token", raw=b"grant_type=" + b"x" * (64 * 1024), content_type=FORM)
    assert (too_big.status, too_big.code) == (413, "payload_too_large")
    assert tenant_digest(tenant.tenant_id) == before
    assert oauth.list_clients(tenant.tenant_id)[0]["status"] == "active"


def _signed_like(token: str, key: bytes, **changes) -> str:
    claims, _, _ = oauth_tokens.read(token)
    fields = {**claims.__dict__, **changes}
    return oauth_tokens.sign(oauth_tokens.Claims(**fields), key)


def test_forged_altered_expired_and_malformed_tokens_are_401(local_api, tenant, anonymous):
    client = new_client(tenant.tenant_id, ["admin"])
    token = token_for(anonymous, client)
    ok(200, _bearer(local_api, token).get("/program"))
    claims, _, _ = oauth_tokens.read(token)
    key = clients.signing_key(claims.key_id)
    assert key is not None
    now = int(datetime.now(UTC).timestamp())
    other = new_client(local_api.new_tenant().tenant_id, ["admin"])
    forged = [
        _signed_like(token, secrets.token_bytes(32)),  # another key under the same key id
        _signed_like(token, key, key_id=claims.key_id + 40000),  # a key id that names no key
        _signed_like(token, key, issued_at=now - 7200, expires_at=now - 3600),  # expired an hour ago
        _signed_like(token, key, issued_at=now - 3600, expires_at=now),  # expires this very second
        _signed_like(token, key, tenant_id=local_api.new_tenant().tenant_id),  # another tenant, same client
        _signed_like(token, key, client_id="oc_" + "1" * 26),  # a client that does not exist
        _signed_like(token, key, client_id=other["clientId"]),  # another tenant's client under this tenant
        token[:-1] + ("A" if token[-1] != "A" else "B"),  # altered MAC
        token[:20] + ("A" if token[20] != "A" else "B") + token[21:],  # altered claims
        token[:-4],  # cut short
        token + "AAAA",  # longer
        token + "=",  # padding
        "oat1",
        "oat1" + "A" * 300,
        base64.urlsafe_b64encode(b"\xa1\xab\x75" + b"\x00" * 60).decode().rstrip("="),
    ]
    for bad in forged:
        reply = _bearer(local_api, bad).get("/program")
        assert (reply.status, reply.code) == (401, "unauthorized"), (bad, reply.text)
    # still a good token: nothing above was a fluke of the client or the key
    ok(200, _bearer(local_api, token).get("/program"))
    # a token re-signed with the right key and other scopes is refused: the client's own scopes bound it
    reader = new_client(tenant.tenant_id, ["read"])
    widened = _signed_like(token_for(anonymous, reader), key, scopes=frozenset({"admin"}))
    assert _bearer(local_api, widened).patch("/program", {"pointsExpiryDays": 30}).status == 403


def test_a_token_expires_after_an_hour(local_api, tenant, anonymous, frozen):
    client = new_client(tenant.tenant_id, ["read"])
    token = token_for(anonymous, client)
    ok(200, _bearer(local_api, token).get("/status"))
    frozen.advance(seconds=3599)
    ok(200, _bearer(local_api, token).get("/status"))
    frozen.advance(seconds=1)
    reply = _bearer(local_api, token).get("/status")
    assert (reply.status, reply.code) == (401, "unauthorized")


def test_a_revoked_clients_tokens_are_refused_and_it_gets_no_new_one(local_api, tenant, anonymous):
    """The local gateway calls the authorizer on every request (no cache), so the very next call is refused;
    deployed, within AUTHORIZER_CACHE_SECONDS (the authorizer reads the client by key on each uncached call)."""
    client = new_client(tenant.tenant_id, ["read"])
    token = token_for(anonymous, client)
    ok(200, _bearer(local_api, token).get("/program"))
    first = oauth.revoke_client(client["clientId"])
    again = oauth.revoke_client(client["clientId"])
    assert first["status"] == again["status"] == "revoked" and again["revokedAt"] == first["revokedAt"]
    reply = _bearer(local_api, token).get("/program")
    assert (reply.status, reply.code) == (401, "unauthorized")
    _refused(form(anonymous, _fields(client)), 401, "invalid_client")
    assert [c["status"] for c in oauth.list_clients(tenant.tenant_id)] == ["revoked"]


def test_clients_are_listed_without_secrets_and_need_a_tenant(tenant):
    from loyalty.errors import NotFound, ValidationFailed

    made = new_client(tenant.tenant_id, ["read", "integration"], "pos")
    (listed,) = oauth.list_clients(tenant.tenant_id)
    assert listed == {k: v for k, v in made.items() if k != "clientSecret"}
    assert listed["scopes"] == ["integration", "read"] and "secretHash" not in json.dumps(listed)
    stored = clients.client(made["clientId"])
    assert stored["secretHash"] == oauth.digest(made["clientSecret"]) and made["clientSecret"] not in json.dumps(stored)
    with pytest.raises(NotFound):
        oauth.create_client("no-such-tenant", ["read"])
    with pytest.raises(ValidationFailed):
        oauth.create_client(tenant.tenant_id, ["superuser"])
    with pytest.raises(NotFound):
        oauth.revoke_client("oc_unknown")


def test_no_api_key_can_be_taken_for_a_token(tenant):
    from loyalty.errors import ValidationFailed
    from loyalty.services import tenants

    with pytest.raises(ValidationFailed):
        tenants.issue_key(tenant.tenant_id, ["read"], key="oat1" + "A" * 40)
    assert not oauth_tokens.is_token(tenants.issue_key(tenant.tenant_id, ["read"])["key"])


def test_every_token_fits_the_gateways_pattern():
    longest = oauth_tokens.Claims(
        "t" * 40, "c" * 64, frozenset({"admin", "integration", "read"}), 2**32 - 1, 2**32 - 1, 2**16 - 1
    )
    token = oauth_tokens.sign(longest, secrets.token_bytes(32))
    assert len(token) <= 512 and TOKEN_TEXT.fullmatch(token)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
@given(
    body=st.one_of(
        st.binary(max_size=300),  # not UTF-8 either: the route answers invalid_request, never the gateway's 400
        st.text(max_size=200).map(str.encode),
        st.lists(st.sampled_from(["grant_type", "client_id", "client_secret", "scope", "=", "&", "%", "+", "x", GRANT]))
        .map("".join)
        .map(str.encode),
        st.dictionaries(st.sampled_from(["grant_type", "client_id", "client_secret", "scope"]), st.text(max_size=20))
        .map(json.dumps)
        .map(str.encode),
    ),
    content_type=st.sampled_from(
        [FORM, "application/json", "text/plain", None, "multipart/form-data", FORM + "; charset=latin-1"]
    ),
    authorization=st.one_of(
        st.none(), st.text(max_size=60), st.binary(max_size=40).map(lambda b: "Basic " + base64.b64encode(b).decode())
    ),
)
def test_odd_token_requests_are_4xx_never_5xx(local_api, body, content_type, authorization):
    headers = (
        {"Authorization": authorization}
        if authorization and authorization.isprintable() and authorization.isascii()
        else {}
    )
    reply = local_api.anonymous().call("POST", "/oauth/token", raw=body, content_type=content_type, headers=headers)
    assert 400 <= reply.status < 500, (body, content_type, authorization, reply.status, reply.text)
    document = reply.json
    assert set(document) in ({"error", "error_description"}, {"error"}), reply.text
