"""OAuth clients (§12) and the token signing keys, in the table.

Platform partitions, like the API key index (repository/keys.py): the token route finds a client from its id
alone (`OAUTHCLIENT#<clientId>`) and the authorizer reads it by key to refuse a revoked client's tokens; the
signing keys live in `OAUTH#SIGNING`, one item per key id, created once by a conditional put. The tenant keeps
its own copy of each client record (`T#<tenantId>` / `OAUTHCLIENT#<clientId>`) for `loyalty client list`.
"""

from __future__ import annotations

import secrets
from typing import Any

from loyalty.repository import store
from loyalty.repository.keys import tenant
from loyalty.repository.store import Collection, Key, key

SIGNING_PARTITION = "OAUTH#SIGNING"


def client_index(client_id: str) -> Key:
    return key(f"OAUTHCLIENT#{client_id}", "OAUTHCLIENT")


def tenant_client(tenant_id: str, client_id: str) -> Key:
    return key(tenant(tenant_id), f"OAUTHCLIENT#{client_id}")


def tenant_clients(tenant_id: str) -> list[dict[str, Any]]:
    """A tenant's own copies of its client records."""
    return Collection(tenant(tenant_id)).all(sort="begins_with(#s, :k)", values={":k": "OAUTHCLIENT#"})


def client(client_id: str) -> dict[str, Any] | None:
    """The client's record by key, strongly consistent (a revoke is seen by the very next read)."""
    return store.get(client_index(client_id))


def signing_key_item(key_id: int) -> Key:
    return key(SIGNING_PARTITION, f"KEY#{key_id}")


def signing_key(key_id: int) -> bytes | None:
    """The secret of signing key `key_id`, or None when there is no such key (never created, or retired)."""
    item = store.get(signing_key_item(key_id))
    return bytes.fromhex(item["secret"]) if item else None


def signing_key_or_create(key_id: int, created_at: str) -> bytes:
    """The secret of signing key `key_id`, created at random (256 bits) by the first caller: a conditional put,
    so concurrent first calls in many containers agree on one key (the losers read the winner's)."""
    found = signing_key(key_id)
    if found is not None:
        return found
    fresh = secrets.token_bytes(32)
    item = {**signing_key_item(key_id), "keyId": key_id, "secret": fresh.hex(), "createdAt": created_at}
    if store.create(item):
        return fresh
    stored = signing_key(key_id)
    assert stored is not None
    return stored
