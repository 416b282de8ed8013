"""A member's wallet: one entry per voucher issued to the member, in the member's own partition.

Entry `T#t#M#<memberId>` / `WALLET#<voucherId>`: a copy of the voucher (every attribute the API shows),
written in the transaction of each change of the voucher (issue, redeem, cancel; vouchers do not
expire by themselves), so a wallet page is one Query: all of them newest first from the table
(strongly consistent), or by status from PER_PARENT `T#t#M#<memberId>#WALLET` / `<status>#<voucherId>`.
Only the member's own requests write its partition, so no partition is shared by members.
Vouchers issued before the wallet existed get their entry from `loyalty backfill-wallet` (idempotent).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from loyalty.repository import members, store
from loyalty.repository.table import PER_PARENT

if TYPE_CHECKING:
    from loyalty.repository.records import VoucherRecord

ENTRY = "WALLET"
# the voucher's own attributes, copied into its entry (the API's Voucher shape)
FIELDS = (
    "voucherId",
    "offerId",
    "redemptionCode",
    "memberId",
    "customerName",
    "status",
    "acquiredAt",
    "redeemedAt",
    "cancelledAt",
    "activationDate",
    "expirationDate",
    "orderId",
)
NAME_FIELD = "customerName"


def entry_key(tenant_id: str, member_id: str, voucher_id: str) -> store.Key[VoucherRecord]:
    return store.key(members.partition(tenant_id, member_id), f"{ENTRY}#{voucher_id}")


def by_status(tenant_id: str, member_id: str) -> store.Collection[VoucherRecord]:
    return store.Collection(f"{members.partition(tenant_id, member_id)}#{ENTRY}", PER_PARENT)


def _all(tenant_id: str, member_id: str) -> store.Collection[VoucherRecord]:
    return store.Collection(members.partition(tenant_id, member_id))


def _status_entry(tenant_id: str, voucher: VoucherRecord) -> dict[str, str]:
    member_id = str(voucher["memberId"])
    return store.index_entry(
        PER_PARENT, by_status(tenant_id, member_id).partition, f"{voucher['status']}#{voucher['voucherId']}"
    )


def _copy(voucher: VoucherRecord) -> dict[str, Any]:
    return {name: voucher.get(name) for name in FIELDS}


# --- writes (transaction items, each in the transaction of the voucher's change) -----------------


def put(tenant_id: str, voucher: VoucherRecord) -> store.TxItem:
    """A new voucher's entry (the voucher is new, so is its entry)."""
    key = entry_key(tenant_id, str(voucher["memberId"]), voucher["voucherId"])
    return store.put_new({**key, **_copy(voucher), **_status_entry(tenant_id, voucher)})


def follow(tenant_id: str, moved: VoucherRecord, changes: dict[str, Any]) -> store.TxItem:
    """The entry after a move: the changed attributes and the status index set; the rest only where
    missing (an entry not backfilled yet is made whole here), so an erased name stays erased."""
    key = entry_key(tenant_id, str(moved["memberId"]), moved["voucherId"])
    copied = _copy(moved)
    return store.update(
        key,
        set_values={**changes, **_status_entry(tenant_id, moved)},
        set_if_missing={name: value for name, value in copied.items() if name not in changes},
    )


def backfill(tenant_id: str, voucher: VoucherRecord, voucher_key: store.Key[VoucherRecord]) -> list[store.TxItem]:
    """The entry of a voucher issued before the wallet existed: written only if it has none (idempotent:
    a move since wrote it) and only while the voucher is still as read (its status, and its name, which
    an erasure may have blanked since)."""
    names, values = {"#st": "status"}, {":st": voucher["status"]}
    condition = "#st = :st"
    if voucher.get(NAME_FIELD):
        names["#n"], values[":n"] = NAME_FIELD, str(voucher.get(NAME_FIELD))
        condition += " AND #n = :n"
    return [put(tenant_id, voucher), store.check(voucher_key, condition, names, values)]


def erase_name(entry: Mapping[str, Any]) -> store.TxItem:
    """Blank the member's name on an entry (erasure), on condition the entry exists."""
    return store.update(store.key_of(entry), set_values={NAME_FIELD: None}, condition=store.PRESENT)


# --- reads --------------------------------------------------------------------------------------


def page(
    tenant_id: str, member_id: str, status: str | None, limit: int, start: dict[str, Any] | None
) -> tuple[list[VoucherRecord], dict[str, Any] | None]:
    """A member's vouchers newest first, one Query: by status from PER_PARENT, else the table's entries.

    The status index lags a write on AWS: right after a redeem it may still hold the voucher's `acquired`
    copy. So a status page shows each entry as the table holds it (one BatchGetItem, strongly consistent)
    and leaves out an entry that has left the status (the page may then be shorter than `limit`)."""
    if status:
        indexed, last = by_status(tenant_id, member_id).query(
            sort="begins_with(#s, :status)",
            values={":status": f"{status}#"},
            newest_first=True,
            limit=limit,
            start=start,
        )
        return store.current([entry_key(tenant_id, member_id, e["voucherId"]) for e in indexed], "status", status), last
    return _all(tenant_id, member_id).query(
        sort="begins_with(#s, :entry)", values={":entry": f"{ENTRY}#"}, newest_first=True, limit=limit, start=start
    )


def entries(tenant_id: str, member_id: str) -> list[VoucherRecord]:
    """Every entry of the member's wallet (erasure, the checker), strongly consistent."""
    return _all(tenant_id, member_id).all(sort="begins_with(#s, :entry)", values={":entry": f"{ENTRY}#"})


def voucher_of(entry: Mapping[str, Any]) -> str:
    """The voucherId a wallet entry's key names (the checker compares it with the member's vouchers)."""
    return store.sort_key(entry).removeprefix(f"{ENTRY}#")


def entries_of(tenant_id: str, vouchers: list[VoucherRecord]) -> list[VoucherRecord | None]:
    """Each member voucher's entry or None (the checker), in the vouchers' order."""
    return store.get_many([entry_key(tenant_id, str(v["memberId"]), v["voucherId"]) for v in vouchers])


def status_of_index(entry: Mapping[str, Any]) -> str:
    """The status an entry's PER_PARENT sort key files it under."""
    return str(entry.get("gsi1sk", "")).split("#", 1)[0]
