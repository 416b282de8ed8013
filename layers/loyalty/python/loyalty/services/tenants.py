"""Operator tasks (not over HTTP): create tenants, issue, list and revoke their API keys."""

from __future__ import annotations

from typing import Any

from loyalty import apikeys, clock, currencies
from loyalty.errors import Conflict, NotFound, ValidationFailed
from loyalty.repository import keys, store
from loyalty.repository import program as program_db
from loyalty.routes import SCOPES
from loyalty.services.program import default_program


def create_tenant(tenant_id: str, name: str, currency: str = "USD") -> dict[str, Any]:
    """Register a tenant with its default program settings; a tenant id is used once."""
    if not apikeys.TENANT_ID.fullmatch(tenant_id):
        raise ValidationFailed("A tenant id is 2-40 characters of a-z, 0-9 and '-', starting with a letter or digit.")
    if not currencies.is_active(currency):
        raise ValidationFailed(
            f"The currency must be an active ISO 4217 code such as EUR, not {currency!r}.",
            details=[{"field": "currency", "message": "must be an active ISO 4217 currency code such as EUR"}],
        )
    now = clock.iso(clock.now())
    tenant = {**keys.tenant_record(tenant_id), "tenantId": tenant_id, "name": name, "createdAt": now}
    try:
        store.transact(
            [
                store.put_new(tenant),
                store.put_new({**keys.registry_entry(tenant_id), "tenantId": tenant_id}),
                store.put_new(program_db.item(tenant_id, default_program(name, currency, now))),
            ]
        )
    except store.ConditionFailed:
        raise Conflict("duplicate", f"Tenant {tenant_id} exists already.") from None
    return {"tenantId": tenant_id, "name": name, "createdAt": now}


def tenant_exists(tenant_id: str) -> bool:
    return store.get(keys.tenant_record(tenant_id)) is not None


def list_tenants() -> list[str]:
    """Every tenant id (the registry partition, paged through)."""
    return [item["tenantId"] for item in keys.registry().all()]


def issue_key(tenant_id: str, scopes: list[str], label: str = "", key: str | None = None) -> dict[str, Any]:
    """Issue a key with the given scopes; the secret is in the answer and nowhere else."""
    if not tenant_exists(tenant_id):
        raise NotFound(f"Tenant {tenant_id} does not exist.")
    unknown = set(scopes) - set(SCOPES)
    if not scopes or unknown:
        raise ValidationFailed(f"Scopes must be some of {', '.join(SCOPES)}.")
    secret = key or apikeys.new_key(tenant_id)
    if apikeys.bearer_digest(f"Bearer {secret}") is None:
        raise ValidationFailed("A key is 1 to 512 printable characters without spaces.")
    secret_hash = apikeys.digest(secret)
    record = {
        "tenantId": tenant_id,
        "keyId": secret_hash[:16],
        "prefix": secret[:12],
        "scopes": sorted(scopes),
        "label": label,
        "status": "active",
        "createdAt": clock.iso(clock.now()),
        "secretHash": secret_hash,
    }
    try:
        store.transact(
            [
                store.put_new({**keys.key_index(secret_hash), **record}),
                store.put_new({**keys.api_key(tenant_id, record["keyId"]), **record}),
            ]
        )
    except store.ConditionFailed:
        raise Conflict("duplicate", "This key is issued already.") from None
    return {**_public(record), "key": secret}


def _public(record: dict[str, Any]) -> dict[str, Any]:
    fields = ("keyId", "prefix", "scopes", "label", "status", "createdAt", "revokedAt")
    return {name: record[name] for name in fields if name in record}


def list_keys(tenant_id: str) -> list[dict[str, Any]]:
    return [_public(record) for record in keys.api_keys(tenant_id)]


def revoke_key(tenant_id: str, key_id: str) -> dict[str, Any]:
    """Revoke a key by its id; the gateway refuses it once the authorizer's cached answer lapses
    (AUTHORIZER_CACHE_SECONDS in infra/config.py)."""
    record = store.get_required(keys.api_key(tenant_id, key_id), f"key {key_id} of tenant {tenant_id}")
    now = clock.iso(clock.now())
    revoked = {"status": "revoked", "revokedAt": now}
    store.transact(
        [
            store.update(keys.api_key(tenant_id, key_id), set_values=revoked),
            store.update(keys.key_index(record["secretHash"]), set_values=revoked),
        ]
    )
    return _public({**record, **revoked})
