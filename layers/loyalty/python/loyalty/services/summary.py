"""A member's summary: balance, tier progress, what expires when, and the last award."""

from __future__ import annotations

from typing import Any

from loyalty.repository import lots as lots_db
from loyalty.repository import store
from loyalty.services import members, program
from loyalty.services.book import NEVER, unspent


def summary(tenant_id: str, member_id: str) -> dict[str, Any]:
    found, lots = lots_db.member_with_lots(tenant_id, member_id)
    member = store.required(found, "member")
    settings = program.load(tenant_id)
    qualified = member["balance"]["qualified"]
    upcoming = [tier for tier in settings.get("tiers") or [] if tier["threshold"] > qualified]
    schedule = [
        {"date": lot["expiresOn"], "points": unspent(lot, member["consumed"])}
        for lot in lots
        if lot["expiresOn"] != NEVER and unspent(lot, member["consumed"]) > 0
    ]
    return {
        "memberId": member_id,
        "status": member["status"],
        "balance": members.public(tenant_id, member)["balance"],
        "tier": members.tier_of(settings, member),
        "nextTier": {"tierId": upcoming[0]["tierId"], "name": upcoming[0]["name"]} if upcoming else None,
        "pointsToNextTier": upcoming[0]["threshold"] - qualified if upcoming else None,
        "expirationSchedule": schedule,
        "lastAward": member.get("lastAward"),
    }
