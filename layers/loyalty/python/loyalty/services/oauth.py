"""§12 OAuth client credentials: clients (operator commands) and the token grant (POST /oauth/token).

Clients are provisioned like API keys: `loyalty client create TENANT --scope S` prints `clientId` and
`clientSecret` once; only the secret's SHA-256 is stored (the secret carries 256 random bits, so a fast hash
is as safe as a slow one). A token is self-contained and signed (services/oauth_tokens.py); the authorizer
reads the client record by key on every uncached call, so a revoked client's tokens are refused within the
authorizer's cache time.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from typing import Any

from loyalty import clock, ids
from loyalty.errors import Conflict, NotFound, ValidationFailed
from loyalty.repository import clients, store
from loyalty.routes import SCOPES
from loyalty.services import oauth_tokens

# The key new tokens are signed with. Rotation: deploy with the next id; the new key is created on first use and
# tokens signed with the old one stay valid until they expire (the old key's item stays; docs/decisions.md).
SIGNING_KEY_ID = int(os.environ.get("OAUTH_SIGNING_KEY_ID", "1"))
_KEY_CACHE_SECONDS = 300.0
_keys: dict[int, tuple[float, bytes | None]] = {}
# Compared with when the client is unknown, so an unknown client costs the same hash and compare as a known one.
_NOBODY = hashlib.sha256(b"no such client").hexdigest()


class OAuthError(Exception):
    """An RFC 6749 §5.2 error: `error` code, a description, the status (400, or 401 for invalid_client)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


INVALID_CLIENT = ("invalid_client", "The client is unknown, revoked, or its secret is wrong.")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def signing_key(key_id: int) -> bytes | None:
    """A signing key's secret, cached per container for a few minutes (a retired key stops verifying by then).
    A missing key is not cached: a forged token naming the next key id must not hide that key once it is made."""
    entry = _keys.get(key_id)
    if entry and time.monotonic() - entry[0] < _KEY_CACHE_SECONDS:
        return entry[1]
    found = clients.signing_key(key_id) if 0 < key_id < 2**16 else None
    if found is not None:
        _keys[key_id] = (time.monotonic(), found)
    return found


def _current_key() -> bytes:
    entry = _keys.get(SIGNING_KEY_ID)
    if entry and entry[1] is not None:
        return entry[1]
    key = clients.signing_key_or_create(SIGNING_KEY_ID, clock.iso(clock.now()))
    _keys[SIGNING_KEY_ID] = (time.monotonic(), key)
    return key


def forget_keys() -> None:
    _keys.clear()


# --- the grant ---------------------------------------------------------------------------------------------


def authenticate(client_id: str, secret: str) -> dict[str, Any]:
    """The active client with this id and secret; one invalid_client answer for an unknown client, a wrong
    secret and a revoked client, after the same hash and constant-time compare in each case."""
    record = clients.client(client_id) if 0 < len(client_id) <= oauth_tokens.MAX_CLIENT_ID else None
    stored = record["secretHash"] if record else _NOBODY
    matches = hmac.compare_digest(digest(secret), stored)
    if record is None or not matches or record.get("status") != "active":
        raise OAuthError(*INVALID_CLIENT, status=401)
    return record


def grant(client_id: str, secret: str, scope: str | None) -> dict[str, Any]:
    """RFC 6749 §4.4.3: a token for an authenticated client with the asked scopes (default: all of its own)."""
    record = authenticate(client_id, secret)
    own = frozenset(record["scopes"])
    asked = frozenset(scope.split()) if scope and scope.strip() else own
    if not asked <= own:
        raise OAuthError(
            "invalid_scope", f"scope must be space-separated scopes of this client: {' '.join(sorted(own))}."
        )
    now = int(clock.now().timestamp())
    claims = oauth_tokens.Claims(
        tenant_id=record["tenantId"],
        client_id=record["clientId"],
        scopes=asked,
        issued_at=now,
        expires_at=now + oauth_tokens.LIFETIME_SECONDS,
        key_id=SIGNING_KEY_ID,
    )
    token = oauth_tokens.sign(claims, _current_key())
    return {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": oauth_tokens.LIFETIME_SECONDS,
        "scope": " ".join(scope for scope in SCOPES if scope in asked),
    }


# --- operator commands (tools/cli.py: loyalty client create|list|revoke) --------------------------------------


def _public(record: dict[str, Any]) -> dict[str, Any]:
    fields = ("clientId", "tenantId", "name", "scopes", "status", "createdAt", "revokedAt")
    return {name: record[name] for name in fields if name in record}


def create_client(
    tenant_id: str, scopes: list[str], name: str = "", client_id: str | None = None, secret: str | None = None
) -> dict[str, Any]:
    """A new client of the tenant with these scopes; its secret is in the answer and nowhere else.
    `client_id` and `secret` are for fixtures (the events/ sample's demo client): by default both are random."""
    from loyalty.services.tenants import require_tenant

    require_tenant(tenant_id)
    unknown = set(scopes) - set(SCOPES)
    if not scopes or unknown:
        raise ValidationFailed(f"Scopes must be some of {', '.join(SCOPES)}.")
    if len(name) > 200:
        raise ValidationFailed("A client name is at most 200 characters.")
    secret = secret or "cs_" + secrets.token_urlsafe(32)
    record: dict[str, Any] = {
        "clientId": client_id or "oc_" + ids.secret_ulid(),
        "tenantId": tenant_id,
        "name": name,
        "scopes": sorted(set(scopes)),
        "status": "active",
        "createdAt": clock.iso(clock.now()),
        "secretHash": digest(secret),
    }
    if not 0 < len(record["clientId"]) <= oauth_tokens.MAX_CLIENT_ID:
        raise ValidationFailed(f"A client id is 1 to {oauth_tokens.MAX_CLIENT_ID} characters.")
    try:
        store.transact(
            [
                store.put_new({**clients.client_index(record["clientId"]), **record}),
                store.put_new({**clients.tenant_client(tenant_id, record["clientId"]), **record}),
            ]
        )
    except store.ConditionFailed:
        raise Conflict("duplicate", "This client exists already.") from None
    return {**_public(record), "clientSecret": secret}


def list_clients(tenant_id: str) -> list[dict[str, Any]]:
    from loyalty.services.tenants import require_tenant

    require_tenant(tenant_id)
    return [_public(record) for record in clients.tenant_clients(tenant_id)]


def revoke_client(client_id: str) -> dict[str, Any]:
    """Revoke a client: no new token, and its tokens are refused once the authorizer's cached answer lapses
    (AUTHORIZER_CACHE_SECONDS). A client revoked already stays as it is (its first revokedAt)."""
    record = clients.client(client_id) if 0 < len(client_id) <= oauth_tokens.MAX_CLIENT_ID else None
    if record is None:
        raise NotFound(f"Client {client_id} does not exist.")
    if record.get("revokedAt"):
        return _public(record)
    revoked = {"status": "revoked", "revokedAt": clock.iso(clock.now())}
    active = {"status": "active"}
    try:
        store.transact(
            [
                store.update_if(clients.client_index(client_id), active, revoked),
                store.update_if(clients.tenant_client(record["tenantId"], client_id), active, revoked),
            ]
        )
    except store.ConditionFailed:
        return _public(store.get_required(clients.client_index(client_id), f"client {client_id}"))
    return _public({**record, **revoked})
