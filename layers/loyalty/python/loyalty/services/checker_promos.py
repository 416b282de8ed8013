"""The ledger checker's promo-code part: every promotion's counters against the ledger entries of its uses.

A use of a promo code is exactly one ledger entry (an award naming `promoCode` and `promoCodeUsed`,
services.promo_code_uses), so for every promotion: its uses counter's shards add up to its entries, no shard
is over its cap and the total within maxUsesTotal; each member's uses counter equals the member's entries
and is within maxUsesPerMember; a single-use pool keeps `issued + available = total`, each code used
names the entry that used it and each entry a code used, one to one; and every code (the promotion's own
and each pool code) is held by a guard that names the promotion.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from loyalty.repository import ledger as ledger_db
from loyalty.repository import offer_usage, store
from loyalty.repository import promo_codes as promos_db
from loyalty.services.checker_pools import pool_problems


def check_promos(tenant_id: str, member_ids: list[str]) -> list[dict[str, Any]]:
    problems: list[dict[str, Any]] = []
    promos = promos_db.catalog(tenant_id).all(limit=500)
    if not promos:
        return problems

    def report(promo_code: str, problem: str, **facts: Any) -> None:
        problems.append({"tenantId": tenant_id, "promoCode": promo_code, "problem": problem, **facts})

    uses = [e for e in ledger_db.of_program(tenant_id).all(limit=500) if e.get("promoCode")]
    by_promo: dict[str, list[dict[str, Any]]] = {}
    for entry in uses:
        by_promo.setdefault(str(entry["promoCode"]), []).append(dict(entry))
        if entry["type"] != "award":
            report(str(entry["promoCode"]), "a use that is not an award", transactionId=entry["transactionId"])
    known = {promo["code"] for promo in promos}
    for code in sorted(set(by_promo) - known):
        report(code, "ledger entries of an unknown promotion", count=len(by_promo[code]))
    for promo in promos:
        code, entries, counter = promo["code"], by_promo.get(promo["code"], []), promos_db.usage(tenant_id, promo)
        present = [shard for shard in store.get_many(counter.keys()) if shard is not None]  # strongly consistent
        if len(present) != counter.shards:
            report(code, "uses counter shards missing", missing=counter.shards - len(present))
        counted = offer_usage.used(present)
        if counted != len(entries):
            report(code, "usesTotal differs from the ledger entries of its uses", stored=counted, counted=len(entries))
        if offer_usage.over_cap(present):
            report(code, "uses counter shards over their cap", shards=offer_usage.over_cap(present))
        if promo["maxUsesTotal"] is not None and counted > promo["maxUsesTotal"]:
            report(code, "more uses than maxUsesTotal", stored=counted, limit=promo["maxUsesTotal"])
        (own,) = store.get_many([promos_db.guard_key(tenant_id, code)])
        if own is None or own.get("promoCode") != code:
            report(code, "the promotion's code is not guarded for it")
        if promo["singleUse"]:
            _pool(tenant_id, promo, entries, report)
        elif any(entry.get("promoCodeUsed") != code for entry in entries):
            report(code, "a use of a shared code names another code")
    problems += _members(tenant_id, member_ids, {p["code"]: p for p in promos}, uses)
    return problems


def _pool(tenant_id: str, promo: dict[str, Any], entries: list[dict[str, Any]], report: Any) -> None:
    code = promo["code"]
    pool = promos_db.pool(tenant_id, promo)
    waiting = set(pool.entries())
    used = {item["code"]: item for item in promos_db.used_codes(tenant_id, promo)}
    for problem, facts in pool_problems(pool.read_stock(), len(waiting), len(used)):
        report(code, problem, **facts)
    if waiting & set(used):
        report(code, "codes both in the pool and used", codes=sorted(waiting & set(used)))
    by_code = Counter(str(entry.get("promoCodeUsed")) for entry in entries)
    for typed, times in by_code.items():
        if times > 1:
            report(code, "a single-use code used more than once", code=typed, times=times)
    entry_of = {str(entry.get("promoCodeUsed")): entry for entry in entries}
    for typed, item in used.items():
        entry = entry_of.get(typed)
        if entry is None or entry["transactionId"] != item.get("transactionId"):
            report(code, "a code used without its ledger entry", code=typed)
        elif entry["memberId"] != item.get("memberId"):
            report(code, "a code used by another member than its entry's", code=typed)
    for typed in set(entry_of) - set(used):
        report(code, "a use whose code is not recorded as used", code=typed)
    every = sorted(waiting | set(used))
    guards = store.get_many([promos_db.guard_key(tenant_id, typed) for typed in every]) if every else []
    for typed, found in zip(every, guards, strict=True):
        if found is None or found.get("promoCode") != code or found.get("kind") != "pool":
            report(code, "a pool code not guarded for its promotion", code=typed)


def _members(
    tenant_id: str, member_ids: list[str], promos: dict[str, dict[str, Any]], uses: list[Any]
) -> list[dict[str, Any]]:
    """Each member's uses counters against the member's entries, and within maxUsesPerMember."""
    problems: list[dict[str, Any]] = []
    expected = Counter((str(entry["memberId"]), str(entry["promoCode"])) for entry in uses)
    for member_id in member_ids:
        stored = promos_db.member_counters(tenant_id, member_id)
        for code in sorted(set(stored) | {c for m, c in expected if m == member_id}):
            want, have = expected[(member_id, code)], stored.get(code, 0)
            facts = {"tenantId": tenant_id, "memberId": member_id, "field": f"uses of promo code {code}"}
            if have != want:
                problems.append({**facts, "stored": have, "expected": want})
            limit = promos.get(code, {}).get("maxUsesPerMember")
            if limit is not None and have > limit:
                problems.append({**facts, "stored": have, "expected": limit, "problem": "over maxUsesPerMember"})
    return problems
