"""Ledger transactions: how they are stored and shown, listed, read, approved and rejected."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from loyalty import clock, ids
from loyalty.errors import Conflict
from loyalty.models.ledger import Rejection, Transaction, TransactionListQuery
from loyalty.models.types import fields_of
from loyalty.operation import Caller, Operation, run
from loyalty.repository import ledger as ledger_db
from loyalty.repository import store
from loyalty.results import Page
from loyalty.services import listing, members, program
from loyalty.services.book import Book, expires_at

if TYPE_CHECKING:
    from loyalty.repository.records import TransactionRecord

_COUNTERS = ("cancelledPoints", "returnedPoints", "deficitPoints")
APPROVED = ("approved", "auto_approved")


def public(item: TransactionRecord) -> dict[str, Any]:
    out = fields_of(Transaction, item)
    for name in _COUNTERS:
        out[name] = item.get(name) or 0
    return out


def post(
    book: Book, now: datetime, type_: str, points: int, status: str, **fields: Any
) -> tuple[TransactionRecord, list[store.TxItem]]:
    """The ledger entry of the member's moves in this request, stamped with the balance they leave, and
    the writes that commit them: the member, its lot (if any) and the entry. Called after the last move."""
    stored = {
        **dict.fromkeys(fields_of(Transaction, {})),
        **dict.fromkeys(_COUNTERS, 0),
        "transactionId": ids.ulid(),
        "memberId": book.member_id,
        "type": type_,
        "points": points,
        "status": status,
        "createdAt": clock.iso(now),
        "approvedAt": clock.iso(now) if status in APPROVED else None,
        **fields,
        "balanceAfter": book.after(),
    }
    entry = cast("TransactionRecord", stored)  # every field of the shape, by name (null unless given)
    return entry, [*book.writes(now), store.put_new(ledger_db.item(book.tenant_id, entry))]


def get_transaction(tenant_id: str, transaction_id: str) -> dict[str, Any]:
    return public(store.get_required(ledger_db.key(tenant_id, transaction_id), "transaction"))


def list_transactions(
    tenant_id: str, query: TransactionListQuery, member_id: str | None = None
) -> Page[list[dict[str, Any]]]:
    """Newest first, one member's (with member_id) or the program's; filters status and type."""
    return listing.newest_first(
        tenant_id,
        query,
        member_id,
        "transactions",
        ledger_db.of_member(tenant_id, member_id) if member_id else ledger_db.of_program(tenant_id),
        ("status", "type"),
        public,
    )


def _read_pending(operation: Operation, tenant_id: str, transaction_id: str) -> tuple[TransactionRecord, Book]:
    entry = operation.read_existing(ledger_db.key(tenant_id, transaction_id), "transaction")
    if entry["status"] != "pending":
        raise Conflict("invalid_state", f"Only a pending transaction can move; this one is {entry['status']}.")
    return entry, Book(tenant_id, members.load(tenant_id, entry["memberId"]))


def _still_pending(tenant_id: str, entry: TransactionRecord, changes: dict[str, Any]) -> store.TxItem:
    """Move a pending entry on condition it is still pending as read; leave the due-date index."""
    expected = {"status": "pending", "cancelledPoints": entry.get("cancelledPoints") or 0}
    return ledger_db.update_if(tenant_id, entry["transactionId"], expected, changes, settled=True)


def approval_writes(
    book: Book, entry: TransactionRecord, now: datetime, status: str = "approved"
) -> tuple[list[store.TxItem], TransactionRecord]:
    """The writes that make a pending award's points available, and the entry as it will read."""
    settings = program.load(book.tenant_id)
    points = entry["points"] - (entry.get("cancelledPoints") or 0)
    book.drop_pending(points)
    expires_on = book.earn(
        points, now=now, expiry_days=settings["pointsExpiryDays"], qualified=bool(entry.get("qualified"))
    )
    changes = {"status": status, "approvedAt": clock.iso(now), "expiresAt": expires_at(expires_on)}
    return [*book.writes(now), _still_pending(book.tenant_id, entry, changes)], _moved(entry, changes)


def rejection_writes(
    book: Book, entry: TransactionRecord, now: datetime, reason: str
) -> tuple[list[store.TxItem], TransactionRecord]:
    """The writes that remove a pending award's points, and the entry as it will read."""
    book.drop_pending(entry["points"] - (entry.get("cancelledPoints") or 0))
    changes = {"status": "rejected", "reason": reason}
    return [*book.writes(now), _still_pending(book.tenant_id, entry, changes)], _moved(entry, changes)


def _moved(entry: TransactionRecord, changes: dict[str, Any]) -> TransactionRecord:
    """The entry as it reads once `changes` (its own attributes) are written."""
    return cast("TransactionRecord", {**entry, **changes})


def approve(caller: Caller, transaction_id: str) -> dict[str, Any]:
    """An admin approves a pending award: its points become available (as a lot)."""
    tenant_id = caller.tenant_id

    def attempt(operation: Operation) -> dict[str, Any]:
        entry, book = _read_pending(operation, tenant_id, transaction_id)
        now = clock.now()
        items, approved = approval_writes(book, entry, now)
        return operation.commit(items, public(approved), status=200)

    return run(caller, attempt)


def reject(caller: Caller, transaction_id: str, body: Rejection) -> dict[str, Any]:
    """An admin rejects a pending award: its pending points are removed."""
    tenant_id = caller.tenant_id

    def attempt(operation: Operation) -> dict[str, Any]:
        entry, book = _read_pending(operation, tenant_id, transaction_id)
        items, rejected = rejection_writes(book, entry, clock.now(), body.reason)
        return operation.commit(items, public(rejected), status=200)

    return run(caller, attempt)
