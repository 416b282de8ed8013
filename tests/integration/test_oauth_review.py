"""Review of §12 from outside: defects found by driving POST /oauth/token and the authorizer as a hostile client."""

from __future__ import annotations

import base64
import secrets
import time

import pytest
from loyalty.errors import Unauthorized
from loyalty.repository import clients
from loyalty.services import oauth, oauth_tokens
from loyalty.services.authorizer import authorize

from tests.support.concurrency import at_once
from tests.support.oauth import basic, form, fresh_signing_key, new_client

GRANT = "client_credentials"
ARN = "arn:aws:execute-api:us-east-1:1:a/Production/GET/status"


def _invalid_client(reply) -> None:
    assert (reply.status, reply.json.get("error")) == (401, "invalid_client"), reply.text
    # RFC 7235 §3.1 (a 401 MUST carry WWW-Authenticate) and RFC 6749 §5.2 (header authentication: MUST, with 401)
    assert reply.headers.get("www-authenticate", "").startswith("Basic "), reply.headers
    assert reply.headers["cache-control"] == "no-store"


def test_every_invalid_client_401_names_the_basic_scheme(local_api, tenant):
    """Defect: 401 without WWW-Authenticate for another scheme, a Basic header with leading blanks, body credentials."""
    anonymous = local_api.anonymous()
    client = new_client(tenant.tenant_id, ["read"])
    wrong = basic(client["clientId"], "cs_wrong")["Authorization"]
    fields = {"grant_type": GRANT}
    _invalid_client(form(anonymous, fields, {"Authorization": "Bearer " + client["clientSecret"]}))
    _invalid_client(form(anonymous, fields, {"Authorization": "Digest abc"}))
    _invalid_client(form(anonymous, fields, {"Authorization": "  " + wrong}))
    _invalid_client(form(anonymous, {**fields, "client_id": client["clientId"], "client_secret": "cs_wrong"}))


@pytest.mark.parametrize(
    "credentials",
    ["!!!!", "", base64.b64encode(b"no-colon").decode(), base64.b64encode("é:\xff".encode("latin-1")).decode()],
)
def test_malformed_basic_credentials_are_invalid_client(local_api, credentials):
    """Defect: a Basic header that is not base64 of id:secret was 400 invalid_request; the client tried to
    authenticate with the Authorization header and failed, which RFC 6749 §5.2 answers 401 invalid_client."""
    reply = form(local_api.anonymous(), {"grant_type": GRANT}, {"Authorization": f"Basic {credentials}"})
    _invalid_client(reply)


def test_a_forged_token_naming_a_key_not_made_yet_does_not_block_that_key(local_api, tenant):
    """Defect: the authorizer cached a missing signing key for 5 minutes, so one forged token naming the next key id
    (after a deploy or a rotation, before the token function made that key) got every real token of it refused."""
    key_id = 1000 + secrets.randbelow(60000)
    while clients.signing_key(key_id) is not None:
        key_id = 1000 + secrets.randbelow(60000)
    client = new_client(tenant.tenant_id, ["read"])
    now = int(time.time())
    claims = oauth_tokens.Claims(tenant.tenant_id, client["clientId"], frozenset({"read"}), now, now + 3600, key_id)
    with pytest.raises(Unauthorized):
        authorize("Bearer " + oauth_tokens.sign(claims, secrets.token_bytes(32)), ARN)
    # the token function (another container: its own cache) makes the key and signs with it
    key = clients.signing_key_or_create(key_id, "2026-12-06T00:00:00Z")
    answer = authorize("Bearer " + oauth_tokens.sign(claims, key), ARN)
    assert answer["context"]["tenantId"] == tenant.tenant_id
    oauth.forget_keys()


def test_first_token_requests_at_once_agree_on_one_new_signing_key(local_api, tenant):
    """Many first requests for a key id nobody made yet: one conditional put wins, every token verifies."""
    anonymous = local_api.anonymous()
    client = new_client(tenant.tenant_id, ["read"])
    fields = {"grant_type": GRANT, "client_id": client["clientId"], "client_secret": client["clientSecret"]}
    oauth.forget_keys()
    try:
        with fresh_signing_key() as key_id:
            replies = at_once(local_api, 12, lambda _: form(anonymous, fields))
    finally:
        oauth.forget_keys()
    assert [reply.status for reply in replies] == [200] * 12, [reply.text for reply in replies]
    for reply in replies:
        token = reply.json["access_token"]
        assert oauth_tokens.read(token)[0].key_id == key_id
        assert local_api.anonymous(token).get("/program").status == 200


def test_a_revoke_racing_token_requests_leaves_no_usable_token(local_api, tenant):
    """Tokens issued while the client is revoked at the same moment are all refused once the revoke is done."""
    anonymous = local_api.anonymous()
    client = new_client(tenant.tenant_id, ["read"])
    fields = {"grant_type": GRANT, "client_id": client["clientId"], "client_secret": client["clientSecret"]}

    def call(index: int):
        if index == 0:
            oauth.revoke_client(client["clientId"])
        return form(anonymous, fields)

    replies = at_once(local_api, 12, call)
    assert {reply.status for reply in replies} <= {200, 401}
    assert replies[0].status == 401
    for reply in replies:
        if reply.status == 200:
            refused = local_api.anonymous(reply.json["access_token"]).get("/program")
            assert (refused.status, refused.code) == (401, "unauthorized")
