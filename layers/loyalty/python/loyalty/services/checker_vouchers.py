"""The ledger checker's voucher part: codes ↔ vouchers one to one, pool counts exact, one state per voucher,
each member's wallet exactly its vouchers."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from loyalty.models.vouchers import VOUCHER_STATUSES
from loyalty.repository import members as members_db
from loyalty.repository import offers as offers_db
from loyalty.repository import vouchers as vouchers_db
from loyalty.repository import wallet as wallet_db
from loyalty.services import checker_pools

if TYPE_CHECKING:
    from loyalty.repository.records import OfferRecord, VoucherRecord

# (has redeemedAt, has cancelledAt) for each state
_STAMPS = {"acquired": (False, False), "redeemed": (True, False), "cancelled": (False, True)}


def check_offer(tenant_id: str, offer: OfferRecord, vouchers: list[VoucherRecord]) -> list[dict[str, Any]]:
    """Every disagreement among one offer's vouchers, its code guards, its pool and its limits.

    Each voucher item carries its by-status index key, so "in exactly one state" is its `status`,
    its gsi1 sort key and its timestamps agreeing. The pool's shards are read only when the offer
    has pooled codes: a pool entry is only ever written together with its guard.
    """
    offer_id = offer["offerId"]
    problems: list[dict[str, Any]] = []

    def report(problem: str, **facts: Any) -> None:
        problems.append({"tenantId": tenant_id, "offerId": offer_id, "problem": problem, **facts})

    guards = {guard["code"]: guard for guard in vouchers_db.all_guards(tenant_id, offer_id)}
    pooled = any(guard["source"] == "pool" for guard in guards.values())
    in_pool = vouchers_db.pool_entries(tenant_id, offer) if pooled else []
    stock = vouchers_db.read_stock(tenant_id, offer)

    for voucher in vouchers:
        voucher_id, status = voucher["voucherId"], voucher["status"]
        if status not in VOUCHER_STATUSES or vouchers_db.status_of_index(voucher) != status:
            report("a voucher not in exactly one state", voucherId=voucher_id, status=status)
        elif (bool(voucher.get("redeemedAt")), bool(voucher.get("cancelledAt"))) != _STAMPS[status]:
            report("a voucher whose times disagree with its state", voucherId=voucher_id, status=status)
        guard = guards.get(voucher["redemptionCode"])
        if guard is None or guard.get("voucherId") != voucher_id:
            report("a voucher whose code is not bound to it", voucherId=voucher_id)
    for problem, facts in wallet_problems(tenant_id, vouchers):
        report(problem, **facts)
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
    for problem, facts in checker_pools.pool_problems(stock, len(in_pool), len(issued_from_pool)):
        report(problem, **facts)
    if sorted(in_pool) != sorted(g["code"] for g in waiting):
        report(
            "pool entries differ from the codes waiting in the pool",
            codes=sorted(set(in_pool) ^ {g["code"] for g in waiting}),
        )

    # The offer's limits are not compared with the vouchers here: a limit may be lowered below the uses
    # made (docs/decisions.md, "Limits"); the offer checks hold every voucher to a use of its offer.
    return problems


def wallet_problems(tenant_id: str, vouchers: list[VoucherRecord]) -> list[tuple[str, dict[str, Any]]]:
    """Each voucher of a member has exactly its entry in that member's wallet, showing the voucher as it is
    (its status in the entry and in the entry's by-status key). One BatchGetItem per 100 vouchers."""
    held = [voucher for voucher in vouchers if voucher.get("memberId")]
    problems: list[tuple[str, dict[str, Any]]] = []
    for voucher, entry in zip(held, wallet_db.entries_of(tenant_id, held), strict=True):
        facts = {"voucherId": voucher["voucherId"], "memberId": voucher["memberId"]}
        if entry is None:
            problems.append(("a member's voucher missing from the member's wallet", facts))
        elif entry.get("status") != voucher["status"] or wallet_db.status_of_index(entry) != voucher["status"]:
            problems.append(
                ("a wallet entry whose status differs from its voucher's", {**facts, "status": entry.get("status")})
            )
        elif any(entry.get(name) != voucher.get(name) for name in wallet_db.FIELDS):
            problems.append(("a wallet entry that differs from its voucher", facts))
    return problems


def wallet_extras(tenant_id: str, member_ids: list[str], held: set[tuple[str, str]]) -> list[dict[str, Any]]:
    """Each entry in a member's wallet must be a voucher of that member (`held`: (memberId, voucherId) of every
    voucher issued to a member): an entry of a voucher that does not exist, of a named customer's voucher or
    of another member's is an extra the wallet would list. One Query per member."""
    problems: list[dict[str, Any]] = []
    for member_id in member_ids:
        for entry in wallet_db.entries(tenant_id, member_id):
            voucher_id = wallet_db.voucher_of(entry)
            if (member_id, voucher_id) not in held:
                problems.append(
                    {
                        "tenantId": tenant_id,
                        "memberId": member_id,
                        "voucherId": voucher_id,
                        "problem": "a wallet entry of no voucher of the member",
                    }
                )
    return problems


def check_vouchers(
    tenant_id: str, member_ids: list[str] | None = None
) -> tuple[list[dict[str, Any]], list[tuple[str, str | None, str | None]]]:
    """Every offer of the tenant (its catalog) checked as above, then every member's wallet for entries
    beyond its vouchers (`member_ids`: the tenant's members, read here when not given), and the uses its
    vouchers account for, (offerId, memberId or None, limitWindow or None) per voucher issued, for the
    offer checks."""
    problems: list[dict[str, Any]] = []
    uses: list[tuple[str, str | None, str | None]] = []
    held: set[tuple[str, str]] = set()
    for offer, _ in offers_db.everything(tenant_id).values():
        if offer is None:
            continue
        vouchers = vouchers_db.all_vouchers(tenant_id, offer["offerId"])
        problems += check_offer(tenant_id, offer, vouchers)
        uses += [(offer["offerId"], voucher.get("memberId"), voucher.get("limitWindow")) for voucher in vouchers]
        held |= {(str(v["memberId"]), v["voucherId"]) for v in vouchers if v.get("memberId")}
    if member_ids is None:
        member_ids = [member["memberId"] for member in members_db.by_creation(tenant_id).all(limit=500)]
    return problems + wallet_extras(tenant_id, member_ids, held), uses
