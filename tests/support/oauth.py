"""OAuth clients and tokens for tests (§12): a client made by the operator service, a token from the local API."""

from __future__ import annotations

import base64
import contextlib
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from tests.support.local import Client, Reply

FORM = "application/x-www-form-urlencoded"


def new_client(tenant_id: str, scopes: list[str], name: str = "test") -> dict[str, Any]:
    from loyalty.services import oauth

    return oauth.create_client(tenant_id, scopes, name)


def form(anonymous: Client, fields: dict[str, str], headers: dict[str, str] | None = None) -> Reply:
    return anonymous.call("POST", "/oauth/token", raw=urlencode(fields).encode(), content_type=FORM, headers=headers)


def basic(client_id: str, secret: str) -> dict[str, str]:
    from urllib.parse import quote_plus

    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


def token_for(anonymous: Client, client: dict[str, Any], scope: str | None = None) -> str:
    fields = {
        "grant_type": "client_credentials",
        "client_id": client["clientId"],
        "client_secret": client["clientSecret"],
    }
    if scope is not None:
        fields["scope"] = scope
    reply = form(anonymous, fields)
    assert reply.status == 200, reply.text
    token: str = reply.json["access_token"]
    return token


@contextlib.contextmanager
def fresh_signing_key() -> Iterator[int]:
    """Sign new tokens with a key id no test used: the first token request creates that key (a conditional put)."""
    from loyalty.services import oauth

    before = oauth.SIGNING_KEY_ID
    oauth.SIGNING_KEY_ID = 1000 + secrets.randbelow(60000)
    try:
        yield oauth.SIGNING_KEY_ID
    finally:
        oauth.SIGNING_KEY_ID = before
