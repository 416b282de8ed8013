"""The ledger checker's voucher part: codes ↔ vouchers one to one, pool counts exact, one state per voucher."""

from __future__ import annotations

from collections import Counter
from typing import Any

from loyalty.models.vouchers import VOUCHER_STATUSES
from loyalty.repository import offers as offers_repo
from loyalty.repository import vouchers as repo

# (has redeemedAt, has cancelledAt) for each state
_STAMPS = {"acquired": (False, False), "redeemed": (True, False), "cancelled": (False, True)}


def check_offer(tenant_id: str, offer: dict[str, Any]) -> list[dict[str, Any]]:
    """Every disagreement among one offer's vouchers, its code guards, its pool and its limits."""
    offer_id = offer["offerId"]
    problems: list[dict[str, Any]] = []

    def report(problem: str, **facts: Any) -> None:
        problems.append({"tenantId": tenant_id, "offerId": offer_id, "problem": problem, **facts})

    vouchers = repo.all_vouchers(tenant_id, offer_id)
    by_status = repo.all_vouchers_by_status(tenant_id, offer_id)
    guards = {guard["code"]: guard for guard in repo.all_guards(tenant_id, offer_id)}
    in_pool = repo.pool_entries(tenant_id, offer_id)
    stock = repo.read_stock(tenant_id, offer_id)

    filed = Counter(item["voucherId"] for item in by_status)
    for voucher in vouchers:
        voucher_id, status = voucher["voucherId"], voucher["status"]
        if status not in VOUCHER_STATUSES or repo.status_of_index(voucher) != status or filed[voucher_id] != 1:
            report("a voucher not in exactly one state", voucherId=voucher_id, status=status)
        elif (bool(voucher.get("redeemedAt")), bool(voucher.get("cancelledAt"))) != _STAMPS[status]:
            report("a voucher whose times disagree with its state", voucherId=voucher_id, status=status)
        guard = guards.get(voucher["redemptionCode"])
        if guard is None or guard.get("voucherId") != voucher_id:
            report("a voucher whose code is not bound to it", voucherId=voucher_id)
    held = {voucher["voucherId"] for voucher in vouchers}
    codes = Counter(voucher["redemptionCode"] for voucher in vouchers)
    for code in (code for code, count in codes.items() if count > 1):
        report("a code held by several vouchers", code=code)
    for code, guard in guards.items():
        if guard.get("voucherId") is not None and guard["voucherId"] not in held:
            report("a code bound to no voucher of its offer", code=code)
        if guard["source"] == "generated" and guard.get("voucherId") is None:
            report("a generated code without its voucher", code=code)

    issued_from_pool = [g for g in guards.values() if g["source"] == "pool" and g.get("voucherId") is not None]
    waiting = [g for g in guards.values() if g["source"] == "pool" and g.get("voucherId") is None]
    if stock["available"] != len(in_pool):
        report("available differs from the codes in the pool", stored=stock["available"], counted=len(in_pool))
    if stock["issued"] != len(issued_from_pool):
        report("issued differs from the pooled codes issued", stored=stock["issued"], counted=len(issued_from_pool))
    if stock["total"] != stock["available"] + stock["issued"]:
        report("issued + available differs from total", **stock)
    if sorted(in_pool) != sorted(g["code"] for g in waiting):
        report(
            "pool entries differ from the codes waiting in the pool",
            codes=sorted(set(in_pool) ^ {g["code"] for g in waiting}),
        )

    if offer.get("maxRedemptionsTotal") is not None and len(vouchers) > offer["maxRedemptionsTotal"]:
        report("more vouchers than the offer's total limit", vouchers=len(vouchers))
    per_member = offer.get("maxRedemptionsPerMember")
    if per_member is not None:
        for member_id, count in Counter(v["memberId"] for v in vouchers if v.get("memberId")).items():
            if count > per_member:
                report(
                    "more vouchers for a member than the offer's per-member limit", memberId=member_id, vouchers=count
                )
    return problems


def uses(tenant_id: str, offer_ids: list[str]) -> list[tuple[str, str | None]]:
    """(offerId, memberId or None) of every voucher issued: the offer uses vouchers account for."""
    return [(offer_id, v.get("memberId")) for offer_id in offer_ids for v in repo.all_vouchers(tenant_id, offer_id)]


def check_vouchers(tenant_id: str) -> list[dict[str, Any]]:
    """Every offer of the tenant (its catalog, one Query per page), checked as above."""
    catalog = offers_repo.all_in(("gsi2pk", offers_repo.catalog_partition(tenant_id)), "gsi2")
    return [problem for offer in catalog if offer["sk"] == "OFFER" for problem in check_offer(tenant_id, offer)]
