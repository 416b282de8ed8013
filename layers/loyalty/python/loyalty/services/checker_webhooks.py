"""The ledger checker's webhook part: the guard holding a tenant to 20 endpoints counts exactly those stored."""

from __future__ import annotations

from typing import Any

from loyalty.repository import webhooks as webhooks_db


def check_webhooks(tenant_id: str) -> list[dict[str, Any]]:
    """The limit's guard count against the tenant's stored endpoints (one Query and one GetItem)."""
    stored, counted = webhooks_db.stored_count(tenant_id), len(webhooks_db.all_endpoints(tenant_id))
    if stored == counted:
        return []
    return [
        {
            "tenantId": tenant_id,
            "problem": "webhook endpoints counted by the limit's guard",
            "stored": stored,
            "counted": counted,
        }
    ]
