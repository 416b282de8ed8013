"""The ledger checker's segment part: the guard holding a tenant to 100 segments counts exactly those stored."""

from __future__ import annotations

from typing import Any

from loyalty.repository import segments as segments_db


def check_segments(tenant_id: str) -> list[dict[str, Any]]:
    """The limit's guard count against the tenant's stored segments (one Query and one GetItem)."""
    stored, counted = segments_db.stored_count(tenant_id), len(segments_db.all_segments(tenant_id))
    if stored == counted:
        return []
    return [{"tenantId": tenant_id, "problem": "segments counted by the limit's guard", "stored": stored,
             "counted": counted}]  # fmt: skip
