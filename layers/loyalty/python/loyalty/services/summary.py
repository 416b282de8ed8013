"""A member's summary: balance, tier progress, what expires when, and the last award."""

from __future__ import annotations

from typing import Any

from loyalty.errors import NotFound
from loyalty.repository import keys, store
from loyalty.services import members, program
from loyalty.services.book import LOT_PREFIX, NEVER, unspent


def member_with_lots(tenant_id: str, member_id: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The member item and its lots (soonest expiry first) in one Query of the member's partition."""
    found: list[dict[str, Any]] = []
    start = None
    while True:  # one page unless a member holds thousands of lots
        items, start = store.query(
            ("pk", f"{keys.tenant(tenant_id)}#M#{member_id}"),
            sort="begins_with(#s, :m)",
            values={":m": "MEMBER"},
            start=start,
        )
        found += items
        if not start:
            break
    member = next((item for item in found if item["sk"] == "MEMBER"), None)
    return member, [item for item in found if item["sk"].startswith(LOT_PREFIX)]


def summary(tenant_id: str, member_id: str) -> dict[str, Any]:
    member, lots = member_with_lots(tenant_id, member_id)
    if member is None:
        raise NotFound("The member does not exist.")
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
