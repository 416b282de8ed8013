"""Ledger transactions: the entry item, its member and program index entries, and its due-approval entry.

An entry is `T#<t>#TX#<transactionId>` / TX; it is listed per member (PER_PARENT under
`T#<t>#M#<memberId>#TX`) and program-wide (PROGRAM_WIDE under `T#<t>#TX#S<k>`, one of the tenant's
"transactions" shards by a hash of the member), both by transactionId (a ULID: creation order).
A delayed award is also in LOOKUP under `T#<t>#DUE#APPROVE#S<k>` (one of its "due" shards), sorted by
`<autoApprovalDate>#<transactionId>`, until it is approved, rejected or cancelled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loyalty.repository import keys, list_shards, members, sharded, store
from loyalty.repository.table import INDEXES, LOOKUP, PER_PARENT, PROGRAM_WIDE

if TYPE_CHECKING:
    from loyalty.repository.records import TransactionRecord

_DUE_ENTRY = INDEXES[LOOKUP]


def key(tenant_id: str, transaction_id: str) -> store.Key[TransactionRecord]:
    return store.key(f"{keys.tenant(tenant_id)}#TX#{transaction_id}", "TX")


def _due(tenant_id: str) -> sharded.ShardedCollection:
    return list_shards.collection(
        tenant_id,
        "due",
        f"{keys.tenant(tenant_id)}#DUE#APPROVE",
        LOOKUP,
        lambda sort: key(tenant_id, sort.rsplit("#", 1)[1]),
    )


def item(tenant_id: str, entry: TransactionRecord) -> dict[str, Any]:
    """The stored entry: key, attributes, its member and program listings, and its due date if delayed."""
    transaction_id = entry["transactionId"]
    out = {**key(tenant_id, transaction_id), **store.plain(entry)}
    out.update(store.index_entry(PER_PARENT, f"{members.partition(tenant_id, entry['memberId'])}#TX", transaction_id))
    out.update(of_program(tenant_id).entry(entry["memberId"], transaction_id))
    if entry.get("autoApprovalDate"):
        out.update(_due(tenant_id).entry(entry["memberId"], f"{entry['autoApprovalDate']}#{transaction_id}"))
    return out


def update_if(
    tenant_id: str, transaction_id: str, expected: dict[str, Any], changes: dict[str, Any], *, settled: bool
) -> store.TxItem:
    """Change an entry on condition it is as read; `settled` takes it off the due-approval index."""
    return store.update_if(key(tenant_id, transaction_id), expected, changes, remove=_DUE_ENTRY if settled else ())


def of_member(tenant_id: str, member_id: str) -> store.Collection[TransactionRecord]:
    return store.Collection(f"{members.partition(tenant_id, member_id)}#TX", PER_PARENT)


def of_program(tenant_id: str) -> sharded.ShardedCollection[TransactionRecord]:
    return list_shards.collection(
        tenant_id, "transactions", f"{keys.tenant(tenant_id)}#TX", PROGRAM_WIDE, lambda tx: key(tenant_id, tx)
    )


def due(
    tenant_id: str, now_iso: str, start: dict[str, Any] | None = None, limit: int = 100
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One page of the pending delayed awards whose autoApprovalDate is at or before `now_iso`, oldest
    first, and the next page's start."""
    bound = now_iso + "$"  # '$' sorts after '#': includes awards due this very second
    return _due(tenant_id).query(sort="#s < :b", values={":b": bound}, limit=limit, start=start)
