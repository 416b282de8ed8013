"""Member imports (contract §14): the marker of each imported row, and the completion of an import.

A row is keyed by (its member's first identifier, its lotId). Its marker is an item in the member's own
partition, `T#<t>#M#<memberId>` / `IMPORT#<lotId>` (`IMPORT#` alone for a row without a lot), holding the digest
of the row's data, the import and line that wrote it and the ledger entry it made. It is written in the same
transaction as the row's lot, ledger entry and member, and only if absent: a row applies at most once, and a
row already there is told apart as unchanged (same digest) or a conflict (another). The member is found from
its first identifier's guard (repository.members), so a marker needs no index of its own.

An import's completion is `T#<t>#IMPORTED#<importId>` / COMPLETED, written once with its `import.completed`
event (services/imports.complete_import).
"""

from __future__ import annotations

from typing import Any

from loyalty.repository import keys, members, store

PREFIX = "IMPORT#"


def marker_key(tenant_id: str, member_id: str, lot_id: str | None) -> store.Key[dict[str, Any]]:
    return store.key(members.partition(tenant_id, member_id), f"{PREFIX}{lot_id or ''}")


def put_marker(
    tenant_id: str,
    member_id: str,
    lot_id: str | None,
    *,
    digest: str,
    import_id: str,
    line: int,
    transaction_id: str | None,
    at: str,
) -> store.TxItem:
    """The row's marker, on condition that the row was never imported (fails if a marker is there)."""
    item = {
        **marker_key(tenant_id, member_id, lot_id),
        "memberId": member_id,
        "lotId": lot_id,
        "digest": digest,
        "importId": import_id,
        "line": line,
        "transactionId": transaction_id,
        "createdAt": at,
    }
    return store.put_new(item)


def completion_key(tenant_id: str, import_id: str) -> store.Key[dict[str, Any]]:
    return store.key(f"{keys.tenant(tenant_id)}#IMPORTED#{import_id}", "COMPLETED")


def put_completion(tenant_id: str, import_id: str, event_id: str, summary: dict[str, int], at: str) -> store.TxItem:
    """The import's completion, written once (a second completion of one import is refused)."""
    item = {**completion_key(tenant_id, import_id), "eventId": event_id, "summary": summary, "completedAt": at}
    return store.put_new(item)
