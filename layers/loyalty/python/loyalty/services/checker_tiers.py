"""The ledger checker's tier part: each tier's stored count of the rewards naming it against the catalog."""

from __future__ import annotations

from typing import Any

from loyalty.repository import program as program_db
from loyalty.repository import rewards as rewards_db
from loyalty.repository import store


def check_tier_uses(tenant_id: str) -> list[dict[str, Any]]:
    """Each tier's count of the rewards naming it (what a tier's removal reads) agrees with the catalog."""
    named: dict[str, int] = {}
    for reward in rewards_db.catalog(tenant_id).all(limit=500):
        for tier_id in reward.get("tierIds") or []:
            named[tier_id] = named.get(tier_id, 0) + 1
    settings = store.get(program_db.key(tenant_id)) or {}
    tier_ids = sorted(set(named) | {tier["tierId"] for tier in settings.get("tiers") or []})
    return [
        {
            "tenantId": tenant_id,
            "tierId": tier_id,
            "problem": "rewards naming the tier",
            "stored": stored,
            "counted": named.get(tier_id, 0),
        }
        for tier_id, stored in program_db.tier_uses(tenant_id, tier_ids).items()
        if stored != named.get(tier_id, 0)
    ]
