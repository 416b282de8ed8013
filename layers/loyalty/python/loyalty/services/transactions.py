"""Ledger transactions: how they are stored and shown, listed, read, approved and rejected."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from loyalty import clock, ids
from loyalty.errors import Conflict, NotFound, ValidationFailed
from loyalty.http import Request, Response, page
from loyalty.operation import Operation, run
from loyalty.repository import cursor, keys, store
from loyalty.services import members, program
from loyalty.services.book import Book, expires_at

FIELDS = (
    "transactionId",
    "memberId",
    "type",
    "points",
    "status",
    "activityId",
    "activityName",
    "orderId",
    "rewardId",
    "redemptionId",
    "reason",
    "createdAt",
    "approvedAt",
    "autoApprovalDate",
    "expiresAt",
    "cancelledPoints",
    "returnedPoints",
    "deficitPoints",
    "balanceAfter",
)
_COUNTERS = ("cancelledPoints", "returnedPoints", "deficitPoints")
APPROVED = ("approved", "auto_approved")


def tx_key(tenant_id: str, transaction_id: str) -> store.Key:
    return store.key(f"{keys.tenant(tenant_id)}#TX#{transaction_id}", "TX")


def due_approve_partition(tenant_id: str) -> str:
    return f"{keys.tenant(tenant_id)}#DUE#APPROVE"


def member_partition(tenant_id: str, member_id: str) -> str:
    return f"{keys.tenant(tenant_id)}#M#{member_id}#TX"


def public(item: dict[str, Any]) -> dict[str, Any]:
    out = {name: item.get(name) for name in FIELDS}
    for name in _COUNTERS:
        out[name] = item.get(name) or 0
    return out


def new(book: Book, now: datetime, type_: str, points: int, status: str, **fields: Any) -> dict[str, Any]:
    """A ledger entry for a member, as it will be stored (keys and indexes included)."""
    tenant_id, transaction_id = book.tenant_id, ids.ulid()
    entry = {
        **tx_key(tenant_id, transaction_id),
        **dict.fromkeys(FIELDS),
        **dict.fromkeys(_COUNTERS, 0),
        "transactionId": transaction_id,
        "memberId": book.member_id,
        "type": type_,
        "points": points,
        "status": status,
        "createdAt": clock.iso(now),
        "approvedAt": clock.iso(now) if status in APPROVED else None,
        **fields,
        "gsi1pk": member_partition(tenant_id, book.member_id),
        "gsi1sk": transaction_id,
        "gsi2pk": f"{keys.tenant(tenant_id)}#TX",
        "gsi2sk": transaction_id,
    }
    if entry.get("autoApprovalDate"):
        entry.update(gsi3pk=due_approve_partition(tenant_id), gsi3sk=f"{entry['autoApprovalDate']}#{transaction_id}")
    return entry


def finish(book: Book, entry: dict[str, Any]) -> store.TxItem:
    """The put of a new entry, stamped with the balance the same transaction leaves."""
    entry["balanceAfter"] = book.after()
    return store.put_new(entry)


def get_transaction(request: Request) -> dict[str, Any]:
    item = store.get(tx_key(request.tenant_id, request.params["transactionId"]))
    if item is None:
        raise NotFound("The transaction does not exist.")
    return public(item)


def list_transactions(request: Request) -> Response:
    """Newest first, one member's (path has memberId) or the program's; from/to are key bounds."""
    tenant_id, query = request.tenant_id, request.query
    member_id = request.params.get("memberId")
    if member_id:
        partition, index = ("gsi1pk", member_partition(tenant_id, member_id)), "gsi1"
    else:
        partition, index = ("gsi2pk", f"{keys.tenant(tenant_id)}#TX"), "gsi2"
    if query.get("from") and query.get("to") and query["from"] > query["to"]:
        raise ValidationFailed(details=[{"field": "to", "message": "must not be before from"}])
    low = ids.ulid_floor(clock.parse_iso(query["from"])) if query.get("from") else "0"
    high = ids.ulid_ceiling(clock.parse_iso(query["to"])) if query.get("to") else "Z" * 26
    filters, names, values = [], {}, {":low": low, ":high": high}
    for name in ("status", "type"):
        if query.get(name):
            filters.append(f"#{name} = :{name}")
            names[f"#{name}"] = name
            values[f":{name}"] = query[name]
    query_id = cursor.query_id(f"transactions:{member_id or ''}", query)
    items, last = store.query(
        partition,
        index=index,
        sort="#s BETWEEN :low AND :high",
        values=values,
        names=names or None,
        filter_expression=" AND ".join(filters) or None,
        newest_first=True,
        limit=query.get("limit", 25),
        start=cursor.decode(tenant_id, query_id, query.get("nextToken")),
    )
    if member_id and not items and not query.get("nextToken"):
        members.load(tenant_id, member_id)  # an empty first page: 404 if the member does not exist
    return page([public(item) for item in items], cursor.encode(tenant_id, query_id, last))


def _read_pending(operation: Operation, tenant_id: str, transaction_id: str) -> tuple[dict[str, Any], Book]:
    (entry,) = operation.read([tx_key(tenant_id, transaction_id)])
    if entry is None:
        raise NotFound("The transaction does not exist.")
    if entry["status"] != "pending":
        raise Conflict("invalid_state", f"Only a pending transaction can move; this one is {entry['status']}.")
    return entry, Book(tenant_id, members.load(tenant_id, entry["memberId"]))


def _still_pending(tenant_id: str, entry: dict[str, Any], changes: dict[str, Any]) -> store.TxItem:
    """Move a pending entry on condition it is still pending as read; leave the due-date index."""
    return store.update(
        tx_key(tenant_id, entry["transactionId"]),
        set_values=changes,
        remove=("gsi3pk", "gsi3sk"),
        condition="#st = :pending AND #c = :c",
        names={"#st": "status", "#c": "cancelledPoints"},
        values={":pending": "pending", ":c": entry.get("cancelledPoints") or 0},
    )


def approval_writes(
    book: Book, entry: dict[str, Any], now: datetime, status: str = "approved"
) -> tuple[list[store.TxItem], dict[str, Any]]:
    """The writes that make a pending award's points available, and the entry as it will read."""
    settings = program.load(book.tenant_id)
    points = entry["points"] - (entry.get("cancelledPoints") or 0)
    book.drop_pending(points)
    expires_on = book.earn(
        points, now=now, expiry_days=settings["pointsExpiryDays"], qualified=bool(entry.get("qualified"))
    )
    changes = {"status": status, "approvedAt": clock.iso(now), "expiresAt": expires_at(expires_on)}
    return [*book.writes(now), _still_pending(book.tenant_id, entry, changes)], {**entry, **changes}


def approve(request: Request) -> Response:
    """An admin approves a pending award: its points become available (as a lot)."""
    tenant_id, transaction_id = request.tenant_id, request.params["transactionId"]

    def attempt(operation: Operation) -> Response:
        entry, book = _read_pending(operation, tenant_id, transaction_id)
        now = clock.now()
        items, approved = approval_writes(book, entry, now)
        return operation.commit(items, public(approved), status=200)

    return run(request, attempt)


def reject(request: Request) -> Response:
    """An admin rejects a pending award: its pending points are removed."""
    tenant_id, transaction_id = request.tenant_id, request.params["transactionId"]

    def attempt(operation: Operation) -> Response:
        entry, book = _read_pending(operation, tenant_id, transaction_id)
        now = clock.now()
        book.drop_pending(entry["points"] - (entry.get("cancelledPoints") or 0))
        changes = {"status": "rejected", "reason": request.body["reason"]}
        items = [*book.writes(now), _still_pending(tenant_id, entry, changes)]
        return operation.commit(items, public({**entry, **changes}), status=200)

    return run(request, attempt)
