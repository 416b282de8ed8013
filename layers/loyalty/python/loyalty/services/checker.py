"""The ledger checker: recompute every member's balance from the ledger and report what disagrees."""

from __future__ import annotations

from typing import Any

from loyalty.repository import keys, store
from loyalty.services import tenants, transactions
from loyalty.services.book import unspent
from loyalty.services.summary import member_with_lots


def _all(partition: tuple[str, str], index: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    start = None
    while True:
        items, start = store.query(partition, index=index, limit=500, start=start)
        out += items
        if not start:
            return out


def expected_balance(entries: list[dict[str, Any]]) -> dict[str, int]:
    """A balance as the ledger says it must be (the contract's identities)."""
    out = dict.fromkeys(("available", "pending", "redeemed", "expired", "lifetime", "qualified"), 0)
    sign = {"deduct": -1, "redeem": -1, "return": -1, "expire": -1, "refund": 1}
    for entry in entries:
        live = entry["points"] - (entry.get("cancelledPoints") or 0)
        if entry["type"] == "award":
            if entry["status"] == "pending":
                out["pending"] += live
            elif entry["status"] in transactions.APPROVED:
                out["available"] += live
                earned = live - (entry.get("returnedPoints") or 0)
                out["lifetime"] += earned
                out["qualified"] += earned if entry.get("qualified") else 0
            continue
        out["available"] += sign[entry["type"]] * entry["points"]
        if entry["type"] == "expire":
            out["expired"] += entry["points"]
        elif entry["type"] in ("redeem", "refund"):
            out["redeemed"] -= sign[entry["type"]] * entry["points"]
    return out


def check_member(tenant_id: str, member_id: str) -> list[dict[str, Any]]:
    """Every disagreement between a member's stored balance, its lots and its ledger."""
    member, lots = member_with_lots(tenant_id, member_id)
    if member is None:
        return [{"tenantId": tenant_id, "memberId": member_id, "field": "member", "problem": "missing"}]
    entries = _all(("gsi1pk", transactions.member_partition(tenant_id, member_id)), "gsi1")
    expected = expected_balance(entries)
    stored = member["balance"]
    problems = []

    def report(field: str, found: int, wanted: int) -> None:
        problems.append(
            {"tenantId": tenant_id, "memberId": member_id, "field": field, "stored": found, "expected": wanted}
        )

    for field, wanted in expected.items():
        if stored[field] != wanted:
            report(field, stored[field], wanted)
        if stored[field] < 0:
            report(field, stored[field], 0)
    if member["lotTotal"] - member["consumed"] != stored["available"]:
        report("lotTotal - consumed", member["lotTotal"] - member["consumed"], stored["available"])
    in_lots = sum(unspent(lot, member["consumed"]) for lot in lots)
    if in_lots != stored["available"]:
        report("unspent lots", in_lots, stored["available"])
    return problems


def check_tenant(tenant_id: str) -> list[dict[str, Any]]:
    found = _all(("gsi2pk", f"{keys.tenant(tenant_id)}#MEMBERS"), "gsi2")
    return [problem for member in found for problem in check_member(tenant_id, member["memberId"])]


def check(tenant_ids: list[str] | None = None) -> dict[str, Any]:
    """Check every member of the given tenants (default: all); `problems` is empty when the ledger is right."""
    checked = tenant_ids or tenants.list_tenants()
    problems = [problem for tenant_id in checked for problem in check_tenant(tenant_id)]
    return {"tenants": len(checked), "problems": problems}
