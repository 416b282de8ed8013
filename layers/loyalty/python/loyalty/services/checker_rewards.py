"""The ledger checker's reward-limit part: each member's redemption counters against the member's redemptions.

A member's counter of a reward holds the live (not cancelled) redemptions of it; the
counter of a window of maxPerMemberInterval the live redemptions counted in
that window. A window that has ended is not checked: a redemption cancelled after its window gives nothing
back to it (services.redemptions), and its counter expires.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from loyalty import clock
from loyalty.models.rewards import INTERVALS
from loyalty.repository import redemptions as redemptions_db
from loyalty.services import awards


def check_member_counts(tenant_id: str, member_id: str, current: set[str]) -> list[dict[str, Any]]:
    """One member's counters (a Query of its partition) against its redemptions (a Query of its list)."""
    live = [
        r
        for r in redemptions_db.of_member(tenant_id, member_id).all(limit=500)
        if r["status"] != "cancelled" and not r.get("grantedBy")  # a grant counts toward no limit
    ]
    expected: Counter[tuple[str, str | None]] = Counter()
    for redemption in live:
        expected[(redemption["rewardId"], None)] += 1
        if redemption.get("limitWindow") in current:
            expected[(redemption["rewardId"], redemption.get("limitWindow"))] += 1
    stored = redemptions_db.counters_of(tenant_id, member_id)
    checked = {name for name in stored if name[1] is None or name[1] in current} | set(expected)
    return [
        {
            "tenantId": tenant_id,
            "memberId": member_id,
            "field": f"redemptions of {reward_id}" + (f" in {window}" if window else ""),
            "stored": stored.get((reward_id, window), 0),
            "expected": expected[(reward_id, window)],
        }
        for reward_id, window in sorted(checked, key=lambda name: (name[0], name[1] or ""))
        if stored.get((reward_id, window), 0) != expected[(reward_id, window)]
    ]


def check_reward_counts(tenant_id: str, member_ids: list[str]) -> list[dict[str, Any]]:
    """Every member's reward counters, lifetime and in the current UTC windows (by the checker's clock)."""
    now = clock.now()
    current = {awards.window(interval, now)[0] for interval in INTERVALS if interval != "lifetime"}
    return [problem for member_id in member_ids for problem in check_member_counts(tenant_id, member_id, current)]
