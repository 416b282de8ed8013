"""Tenants and API keys, and the tenant prefix every key of tenant data starts with: T#<tenantId>..."""

from __future__ import annotations

from typing import Any

from loyalty.repository.store import Collection, Key, key

# Two partitions are platform data, not tenant data: the tenant registry (the scheduled jobs walk
# it) and the key index (the authorizer finds a key's tenant from the key's hash alone).
TENANT_REGISTRY = "REGISTRY#TENANTS"


def key_index(secret_hash: str) -> Key:
    return key(f"APIKEY#{secret_hash}", "APIKEY")


def tenant(tenant_id: str) -> str:
    return f"T#{tenant_id}"


def registry_entry(tenant_id: str) -> Key:
    return key(TENANT_REGISTRY, tenant(tenant_id))


def tenant_record(tenant_id: str) -> Key:
    return key(tenant(tenant_id), "TENANT")


def api_key(tenant_id: str, key_id: str) -> Key:
    return key(tenant(tenant_id), f"APIKEY#{key_id}")


def registry() -> Collection:
    """Every tenant's registry entry (the scheduled jobs and the checker walk it)."""
    return Collection(TENANT_REGISTRY)


def api_keys(tenant_id: str) -> list[dict[str, Any]]:
    """A tenant's own copies of its API key records."""
    return Collection(tenant(tenant_id)).all(sort="begins_with(#s, :k)", values={":k": "APIKEY#"})
