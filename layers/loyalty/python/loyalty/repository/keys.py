"""Tenants and API keys, and the tenant prefix every key of tenant data starts with: T#<tenantId>..."""

from __future__ import annotations

from typing import Any

from loyalty.repository import store
from loyalty.repository.store import Collection, Key, key

# Three kinds of partition are platform data, not tenant data: the tenant registry (the scheduled
# jobs walk it), the key index (the authorizer finds a key's tenant from the key's hash alone) and the
# scheduled jobs' leases (JOB#<job>, loyalty/repository/leases.py). Every other key starts with T#.
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


# --- a tenant's API Gateway usage-plan key (its own rate and burst), kept on the tenant record ---

_USAGE_FIELDS = ("usageKeyId", "usageKey", "usagePlanId", "rateLimit", "burstLimit")


def usage_key(tenant_id: str) -> str | None:
    """The value of the tenant's own API Gateway API key, or None while it has no limits of its own."""
    record = store.get(tenant_record(tenant_id))
    return record.get("usageKey") if record else None


def usage_limits(tenant_id: str) -> dict[str, Any] | None:
    """What `record_usage` stored: the key's id and value, the plan's id, rate and burst; None without a key."""
    record = store.get(tenant_record(tenant_id))
    if not record or "usageKey" not in record:
        return None
    return {name: record[name] for name in _USAGE_FIELDS if name in record}


def record_usage(tenant_id: str, **values: Any) -> None:
    """Store some of the tenant's usage-plan fields (usageKeyId, usageKey, usagePlanId, rateLimit, burstLimit)
    as soon as each is known, so a command that fails half-way leaves nothing unrecorded; the tenant must exist."""
    unknown = set(values) - set(_USAGE_FIELDS)
    if unknown:
        raise ValueError(f"not usage fields: {sorted(unknown)}")
    store.transact([store.update(tenant_record(tenant_id), set_values=values, condition="attribute_exists(pk)")])
