"""A tenant's API Gateway usage-plan key (its own rate and burst), kept on the tenant record."""

from __future__ import annotations

from typing import Any

from loyalty.repository import keys, store


def usage_key(tenant_id: str) -> str | None:
    """The value of the tenant's own API Gateway API key, or None while it has no limits of its own."""
    record = store.get(keys.tenant_record(tenant_id))
    return record.get("usageKey") if record else None


def limits(tenant_id: str) -> dict[str, Any] | None:
    """What `record` stored: the key's id and value, the plan's id, rate and burst; None if unset."""
    record = store.get(keys.tenant_record(tenant_id))
    if not record or "usageKey" not in record:
        return None
    fields = ("usageKeyId", "usageKey", "usagePlanId", "rateLimit", "burstLimit")
    return {name: record[name] for name in fields if name in record}


def record(tenant_id: str, *, key_id: str, key_value: str, plan_id: str, rate: float, burst: int) -> None:
    """Store the tenant's usage-plan key and limits (the tenant must exist)."""
    store.transact(
        [
            store.update(
                keys.tenant_record(tenant_id),
                set_values={
                    "usageKeyId": key_id,
                    "usageKey": key_value,
                    "usagePlanId": plan_id,
                    "rateLimit": rate,
                    "burstLimit": burst,
                },
                condition="attribute_exists(pk)",
            )
        ]
    )
