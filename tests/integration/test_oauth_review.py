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

from tests.support.oauth import basic, form, new_client

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
