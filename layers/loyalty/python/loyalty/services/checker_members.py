"""The ledger checker's member part: each balance against its ledger and lots, its orders, its identifier guards
and its search entries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from loyalty.repository import ledger as ledger_db
from loyalty.repository import lots as lots_db
from loyalty.repository import member_search as search_db
from loyalty.repository import members as members_db
from loyalty.repository import orders as orders_db
from loyalty.repository import store
from loyalty.services import transactions
from loyalty.services.book import unspent

if TYPE_CHECKING:
    from loyalty.repository.records import LotRecord, MemberRecord, TransactionRecord


def expected_balance(entries: list[TransactionRecord]) -> dict[str, int]:
    """A balance as the ledger says it must be (the contract's identities)."""
    out = dict.fromkeys(("available", "pending", "redeemed", "expired", "lifetime", "qualified"), 0)
    sign = {"deduct": -1, "redeem": -1, "return": -1, "expire": -1, "refund": 1, "import": 1}
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
        if entry["type"] == "import":  # an opening balance (§14): earned before; an expired one has its expire entry
            out["lifetime"] += entry["points"]
        elif entry["type"] == "expire":
            out["expired"] += entry["points"]
        elif entry["type"] in ("redeem", "refund"):
            out["redeemed"] -= sign[entry["type"]] * entry["points"]
    return out


def check_member(tenant_id: str, member_id: str) -> list[dict[str, Any]]:
    """Every disagreement between a member's stored balance, its lots and its ledger."""
    member, lots = lots_db.member_with_lots(tenant_id, member_id)
    if member is None:
        return [{"tenantId": tenant_id, "memberId": member_id, "field": "member", "problem": "missing"}]
    entries = ledger_db.of_member(tenant_id, member_id).all(limit=500)
    expected = expected_balance(entries)
    expected["qualified"] += member.get("importedQualified") or 0  # carried over by a member import (§14)
    stored: Mapping[str, Any] = member["balance"]  # read by the names expected_balance gives
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
    dangling = _dangling_lots(member, lots) + _dangling_orders(tenant_id, member_id, entries)
    return problems + [
        {"tenantId": tenant_id, "memberId": member_id, "field": field, "problem": problem}
        for field, problem in dangling
    ]


def _dangling_orders(tenant_id: str, member_id: str, entries: list[TransactionRecord]) -> list[tuple[str, str]]:
    """Each of a member's orders and its transactions agree: every transaction it names is one of the member's
    own (its ledger, read already) and names the order back; its awards add up to `pointsAwarded`; what the
    returns took from them stays within `pointsReturned`, and that within `pointsAwarded`."""
    own = {entry["transactionId"]: entry for entry in entries}
    out = []
    for order in orders_db.of_member(tenant_id, member_id).all(limit=500):
        name = f"order {order['orderId']}"
        named = [own.get(t) for t in order["transactionIds"]]
        out += [
            ("transactionIds", f"{name} names transaction {t}, which is not its own")
            for t, entry in zip(order["transactionIds"], named, strict=True)
            if entry is None
        ]
        found = [entry for entry in named if entry is not None]
        out += [
            ("transactionIds", f"{name} names transaction {e['transactionId']} of order {e.get('orderId')}")
            for e in found
            if e.get("orderId") != order["orderId"]
        ]
        awarded = [e for e in found if e["type"] == "award"]
        if sum(e["points"] for e in awarded) != order["pointsAwarded"]:
            out.append(
                ("pointsAwarded", f"{name}: {order['pointsAwarded']}, its awards {sum(e['points'] for e in awarded)}")
            )
        taken = sum((e.get("cancelledPoints") or 0) + (e.get("returnedPoints") or 0) for e in awarded)
        if not taken <= order["pointsReturned"] <= order["pointsAwarded"]:
            out.append(("pointsReturned", f"{name}: {order['pointsReturned']}, taken from its awards {taken}"))
    return out


def _dangling_lots(member: MemberRecord, lots: list[LotRecord]) -> list[tuple[str, str]]:
    """The member's record and its lots must name each other: the last lot is where credits go next."""
    out = []
    last = member.get("lastLotExpiry")
    named = [lot for lot in lots if lot["expiresOn"] == last]
    if last is not None and not named:
        out.append(("lastLotExpiry", f"names the lot of {last}, which does not exist"))
    elif named and named[0]["cumEnd"] != member["lotTotal"]:
        out.append(("lastLotExpiry", f"the lot of {last} ends at {named[0]['cumEnd']}, not at lotTotal"))
    later = [lot["expiresOn"] for lot in lots if last is None or lot["expiresOn"] > last]
    if later:
        out.append(("lots", f"lots after the last one the record names: {', '.join(later)}"))
    out += [
        ("lots", f"the lot of {lot['expiresOn']} belongs to another member")
        for lot in lots
        if lot["memberId"] != member["memberId"]
    ]
    return out


def check_guards(tenant_id: str, found: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each member's identifiers (email, externalId, phone, cardId) must be held by guards naming it back."""
    problems: list[dict[str, Any]] = []
    wanted = [
        (member, name, members_db.guard(tenant_id, name, member[name]))
        for member in found
        for name in members_db.UNIQUE_FIELDS
        if member.get(name)
    ]
    guards = store.get_many([k for _, _, k in wanted]) if wanted else []
    for (member, field, _), guard in zip(wanted, guards, strict=True):
        if guard is None or guard.get("memberId") != member["memberId"]:
            holder = "no guard" if guard is None else f"the guard of member {guard.get('memberId')}"
            problems.append(
                {"tenantId": tenant_id, "memberId": member["memberId"], "field": field, "problem": f"has {holder}"}
            )
    return problems


def check_search(tenant_id: str, found: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each member's search entries must be exactly those its values make (repository.member_search): one
    per searched value, each with the member's forms and its index keys; none for an erased member."""
    problems: list[dict[str, Any]] = []
    stored = search_db.stored(tenant_id, [member["memberId"] for member in found])
    for member in found:
        member_id = member["memberId"]
        expected = {e["field"]: e for e in search_db.entries(tenant_id, member_id, search_db.forms(member))}
        have = {e["field"]: e for e in stored[member_id]}
        for field in search_db.SEARCHED:
            problem = None
            if field in expected and field not in have:
                problem = "has no search entry"
            elif field in have and field not in expected:
                problem = "has a search entry of a value it does not have"
            elif field in have and have[field] != expected[field]:
                problem = "has a search entry that disagrees with it"
            if problem:
                problems.append(
                    {"tenantId": tenant_id, "memberId": member_id, "field": f"search {field}", "problem": problem}
                )
    return problems


def check_members(tenant_id: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Every member's problems (balance, lots, orders, then guards and search entries), and the tenant's
    member ids."""
    found = members_db.by_creation(tenant_id).all(limit=500)  # listing entries; the members are read by key
    member_ids = [member["memberId"] for member in found]
    problems = [problem for member_id in member_ids for problem in check_member(tenant_id, member_id)]
    read = [m for m in store.get_many(members_db.listed(tenant_id, found)) if m] if found else []
    return problems + check_guards(tenant_id, read) + check_search(tenant_id, read), member_ids
