"""The ledger checker's referral part: counts, both sides of each referral, its award transactions, the code guards."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from loyalty.repository import ledger as ledger_db
from loyalty.repository import members as members_db
from loyalty.repository import referrals as referrals_db
from loyalty.repository import store


def check_referrals(tenant_id: str, member_ids: list[str]) -> list[dict[str, Any]]:
    """Each member's `referralCount` is the number of its referral entries; each entry's referee names the
    referrer (and its time) in `referredBy`, and each `referredBy` has its one entry; each award an entry
    names is an award of the referrer or the referee in the ledger (whose balances the member part recomputes);
    each member's code is held by its guard, and an erased member's by none."""
    problems: list[dict[str, Any]] = []

    def report(member_id: str, field: str, problem: str) -> None:
        problems.append({"tenantId": tenant_id, "memberId": member_id, "field": field, "problem": problem})

    found = store.get_many([members_db.key(tenant_id, m) for m in member_ids]) if member_ids else []
    members: dict[str, Mapping[str, Any]] = {m["memberId"]: m for m in found if m}
    by_referee: dict[str, list[Mapping[str, Any]]] = {}
    for member_id, member in members.items():
        entries = referrals_db.entries(tenant_id, member_id)
        if len(entries) != member.get("referralCount", 0):
            report(member_id, "referralCount", f"is {member.get('referralCount', 0)}, entries {len(entries)}")
        for entry in entries:
            by_referee.setdefault(entry["refereeId"], []).append(entry)
            problems += _award_problems(tenant_id, entry)
    for member_id, member in members.items():
        named = member.get("referredBy")
        expected = [{"memberId": e["referrerId"], "at": e["at"]} for e in by_referee.pop(member_id, [])]
        if (named is None and expected) or (named is not None and expected != [dict(named)]):
            report(member_id, "referredBy", f"is {named}, the referral entries say {expected}")
    for referee_id in by_referee:
        report(referee_id, "referredBy", "a referral entry names a member that does not exist")
    return problems + _guard_problems(tenant_id, list(members.values()))


def _award_problems(tenant_id: str, entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    ids = list(entry["transactionIds"])
    awards = store.get_many([ledger_db.key(tenant_id, tx) for tx in ids]) if ids else []
    return [
        {
            "tenantId": tenant_id,
            "memberId": entry["referrerId"],
            "field": "transactionIds",
            "problem": f"referral of {entry['refereeId']} names {tx}, not an award of the referrer or referee",
        }
        for tx, award in zip(ids, awards, strict=True)
        if award is None
        or award["type"] != "award"
        or award["memberId"] not in (entry["referrerId"], entry["refereeId"])
    ]


def _guard_problems(tenant_id: str, members: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    guards = store.get_many([referrals_db.code_guard(tenant_id, m["referralCode"]) for m in members]) if members else []
    problems = []
    for member, guard in zip(members, guards, strict=True):
        holder = guard.get("memberId") if guard else None
        erased = bool(member.get("erasedAt"))
        if (holder == member["memberId"]) == erased:
            problems.append(
                {
                    "tenantId": tenant_id,
                    "memberId": member["memberId"],
                    "field": "referralCode",
                    "problem": "an erased member's code still has its guard"
                    if erased
                    else f"has {'no guard' if holder is None else 'the guard of member ' + str(holder)}",
                }
            )
    return problems
