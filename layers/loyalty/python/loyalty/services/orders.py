"""Orders earn through the program's sale activity, once per orderId; a return takes back what the returned
value earned (the order's formula, services.order_points), all points of the order when it is all returned."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from math import floor
from typing import TYPE_CHECKING, Any

from loyalty import clock, currencies, ids, jsontext
from loyalty.errors import Conflict, ValidationFailed
from loyalty.models.orders import MAX_RETURNS, Order, OrderCreate, OrderListQuery, OrderReturnCreate
from loyalty.models.types import fields_of
from loyalty.operation import Caller, Operation, run
from loyalty.repository import awards as awards_db
from loyalty.repository import ledger as ledger_db
from loyalty.repository import members as members_db
from loyalty.repository import orders as orders_db
from loyalty.repository import paging, store
from loyalty.results import Answer, Page
from loyalty.services import activities, awards, members, order_points, program, transactions
from loyalty.services.book import Book

if TYPE_CHECKING:
    from loyalty.repository.records import TransactionRecord


def public(order: dict[str, Any]) -> dict[str, Any]:
    return fields_of(Order, order)


def create_order(caller: Caller, body: OrderCreate) -> dict[str, Any] | Answer:
    """Record an order once and award its points; the same order again answers the stored one (200)."""
    tenant_id = caller.tenant_id
    settings = program.load(tenant_id)
    sale_id = settings.get("saleActivityId")
    activity = activities.load(tenant_id, sale_id) if sale_id else None
    fingerprint = jsontext.digest(body.given())  # what was sent, as it was stored with orders before
    order_id, member_id = body.orderId, body.memberId

    def attempt(operation: Operation) -> dict[str, Any] | Answer:
        now = clock.now()
        counter_at = awards.counter_key(tenant_id, member_id, activity, now) if activity else None
        wanted: list[store.Key[Any]] = [
            orders_db.key(tenant_id, order_id),
            members_db.key(tenant_id, member_id),
            *([awards_db.awarded_guard(tenant_id, activity["activityId"], order_id)] if activity else []),
            *([counter_at] if counter_at else []),
        ]
        existing, member, *found = operation.read(wanted)
        # An order recorded already is answered as it was, whatever the settings are now; one an award
        # recorded (§10) has no request to compare with: its data is compared field by field.
        if existing is not None:
            if existing.get("recordedBy") == "award":
                same = order_points.same_as_posted(existing, body.given(), settings["currency"])
            else:
                same = existing["inputHash"] == fingerprint
            if not same:
                raise Conflict("duplicate", "This orderId was recorded already with other data.")
            return Answer(public(existing), 200)
        if activity is None:
            raise Conflict("invalid_state", "The program has no saleActivityId; set one before recording orders.")
        guard, counter = found[0], found[1:]
        # floor(total * multiplier) for a multiplier activity, its fixed points otherwise
        base = Decimal(body.total) if activity["type"] == "multiplier" else None
        points = awards.points_for(activity, base, "total")
        book = Book(tenant_id, store.required(member, "member"))
        book.require_not_erased()
        if guard is not None:
            raise Conflict("duplicate", "This orderId has already earned points through the sale activity.")
        currency = body.currency or settings["currency"]
        order = {
            "orderId": order_id,
            "memberId": member_id,
            "currency": currency,
            "subtotal": body.subtotal,
            "total": body.total,
            "items": body.given().get("items") or [],
            "orderedAt": body.orderedAt or clock.iso(now),
            "channel": body.channel or "online",
            "pointsAwarded": points,
            "pointsReturned": 0,
            "returnedAmount": currencies.zero(currency),
            "transactionIds": [],
            "earnings": [order_points.earning(activity, base, points)],
            "createdAt": clock.iso(now),
            "updatedAt": clock.iso(now),
            "inputHash": fingerprint,
            "version": 0,
            "returns": 0,
        }
        items: list[store.TxItem] = []
        if points > 0:
            book.require_active()
            awards.check_can_earn(activity, counter[0] if counter else None)
            items, entry = awards.grant(book, activity, points, now, order_id=order_id, reason="order")
            order["transactionIds"] = [entry["transactionId"]]
        return operation.commit([store.put_new(orders_db.item(tenant_id, order)), *items], public(order))

    return run(caller, attempt)


def get_order(tenant_id: str, order_id: str) -> dict[str, Any]:
    return public(store.get_required(orders_db.key(tenant_id, order_id), "order"))


def list_member_orders(tenant_id: str, member_id: str, query: OrderListQuery) -> Page[list[dict[str, Any]]]:
    page = paging.request(tenant_id, f"orders:{member_id}", query.given())
    items, last = orders_db.of_member(tenant_id, member_id).query(newest_first=True, limit=page.limit, start=page.start)
    if not items and page.first:
        members.load(tenant_id, member_id)  # an empty first page: 404 if the member does not exist
    return Page([public(item) for item in items], page.next_token(last))


def _kept(order: dict[str, Any], remaining: Decimal) -> int:
    """The points the order keeps while `remaining` of its total is not returned (none once nothing is)."""
    if remaining <= 0:
        return 0
    share = Fraction(remaining) / Fraction(Decimal(order["total"]))
    out = 0
    for each in order_points.earnings(order):
        if each["kind"] == "fixed":
            out += each["points"]
        elif each["kind"] == "multiplier":
            out += floor(Fraction(each["base"]) * Fraction(each["multiplier"]) * share)
        else:
            out += floor(each["points"] * share)
    return out


def _points_to_return(order: dict[str, Any], amount: Decimal) -> int:
    """This return's points: what the order earned, less what its remaining value keeps, less what went before."""
    remaining = Decimal(order["total"]) - Decimal(order["returnedAmount"]) - amount
    awarded: int = order["pointsAwarded"]
    returned: int = order["pointsReturned"]
    return awarded - _kept(order, remaining) - returned


def _entry_update(tenant_id: str, entry: TransactionRecord, changes: dict[str, Any], field: str) -> store.TxItem:
    """Change an award on condition that its status and the counter being moved are as read."""
    expected = {"status": entry["status"], field: entry.get(field) or 0}
    settled = changes.get("status") == "rejected"
    return ledger_db.update_if(tenant_id, entry["transactionId"], expected, changes, settled=settled)


class Clawback:
    """Takes an order's points back: pending awards are cancelled first, then approved ones deducted."""

    def __init__(self, book: Book, tenant_id: str) -> None:
        self.book, self.tenant_id = book, tenant_id
        self.cancelled = self.deducted = self.deficit = 0
        self.writes: list[store.TxItem] = []

    def cancel_pending(self, entry: TransactionRecord, wanted: int) -> int:
        cancelled = entry.get("cancelledPoints") or 0
        points = min(wanted, entry["points"] - cancelled)
        if points <= 0:
            return 0
        self.book.drop_pending(points)
        changes: dict[str, Any] = {"cancelledPoints": cancelled + points}
        if cancelled + points == entry["points"]:
            changes.update(status="rejected", reason="order returned")
        self.writes.append(_entry_update(self.tenant_id, entry, changes, "cancelledPoints"))
        self.cancelled += points
        return points

    def take_approved(self, entry: TransactionRecord, wanted: int) -> int:
        returned = entry.get("returnedPoints") or 0
        points = min(wanted, entry["points"] - (entry.get("cancelledPoints") or 0) - returned)
        if points <= 0:
            return 0
        taken, short = self.book.take_back(points)
        self.book.unearn(points, qualified=bool(entry.get("qualified")))
        self.writes.append(
            _entry_update(self.tenant_id, entry, {"returnedPoints": returned + points}, "returnedPoints")
        )
        self.deducted += taken
        self.deficit += short
        return points


@dataclass(frozen=True)
class _ReturnPlan:
    """A return worked out in full from what was read: the writes that make it, and what it answers."""

    order: dict[str, Any]  # the order as read
    updated: dict[str, Any]  # the order as the return leaves it
    amount: Decimal
    points: int
    clawback: Clawback
    return_tx: TransactionRecord | None
    writes: list[store.TxItem]
    now: datetime

    def answer(self, *, committed: bool) -> dict[str, Any]:
        """The return's answer; a preview (not committed) has no returnId nor transaction, and its order
        names only the transactions that exist."""
        order = self.updated if committed else {**self.updated, "transactionIds": self.order["transactionIds"]}
        return {
            "returnId": ids.ulid() if committed else None,
            "orderId": self.order["orderId"],
            "memberId": self.order["memberId"],
            "returnedAmount": str(self.amount),
            "points": self.points,
            "cancelledPendingPoints": self.clawback.cancelled,
            "deductedPoints": self.clawback.deducted,
            "deficitPoints": self.clawback.deficit,
            "transactionId": self.return_tx["transactionId"] if committed and self.return_tx else None,
            "createdAt": clock.iso(self.now),
            "order": public(order),
        }


def _plan_return(tenant_id: str, operation: Operation, order_id: str, body: OrderReturnCreate) -> _ReturnPlan:
    """Everything a return does, decided and built but not written; refusals are raised here."""
    order = operation.read_existing(orders_db.key(tenant_id, order_id), "order")
    left = Decimal(order["total"]) - Decimal(order["returnedAmount"])
    # Returned in full: no money left and no points left to take back. An order of total 0 may still
    # have earned (a fixed sale activity, an award joining it); its full return takes those back.
    if left <= 0 and order["pointsReturned"] >= order["pointsAwarded"]:
        raise Conflict(
            "invalid_state",
            "Nothing of the order is left to return: its amount and points are returned, or it had none.",
        )
    if order.get("returns", 0) >= MAX_RETURNS:
        raise Conflict("invalid_state", f"An order takes at most {MAX_RETURNS} returns.")
    amount = left if body.returnedAmount is None else Decimal(body.returnedAmount)
    if amount > left:
        raise ValidationFailed(
            details=[{"field": "returnedAmount", "message": f"exceeds what is left of the order ({left})"}]
        )
    now = clock.now()
    points = _points_to_return(order, amount)
    keys: list[store.Key[Any]] = [
        members_db.key(tenant_id, order["memberId"]),
        *(ledger_db.key(tenant_id, t) for t in order["transactionIds"]),
    ]
    member, *entries = store.get_many(keys)
    assert member is not None, "an order's member is never deleted"
    book = Book(tenant_id, member)
    clawback = Clawback(book, tenant_id)
    awarded = [e for e in entries if e is not None and e["type"] == "award"]
    wanted = points
    for entry in [e for e in awarded if e["status"] == "pending"]:
        wanted -= clawback.cancel_pending(entry, wanted)
    for entry in [e for e in awarded if e["status"] in transactions.APPROVED]:
        wanted -= clawback.take_approved(entry, wanted)
    items = list(clawback.writes)
    return_tx = None
    if clawback.deducted:
        return_tx, posted = transactions.post(
            book,
            now,
            "return",
            clawback.deducted,
            "approved",
            orderId=order_id,
            reason="order return",
            deficitPoints=clawback.deficit,
        )
        items += posted
    elif clawback.writes:
        items += book.writes(now)
    updated = {
        **order,
        "returnedAmount": str(Decimal(order["returnedAmount"]) + amount),
        "pointsReturned": order["pointsReturned"] + points,
        "transactionIds": order["transactionIds"] + ([return_tx["transactionId"]] if return_tx else []),
        "returns": order.get("returns", 0) + 1,
        "updatedAt": clock.iso(now),
        "version": order["version"] + 1,
    }
    items.append(store.put_versioned(orders_db.item(tenant_id, updated), order["version"]))
    return _ReturnPlan(order, updated, amount, points, clawback, return_tx, items, now)


def return_order(caller: Caller, order_id: str, body: OrderReturnCreate) -> dict[str, Any] | Answer:
    """A full (no amount) or partial return of an order; cumulative returns never exceed the order.

    With `dryRun` the same plan is answered (200) instead of committed: the same points, deficit and
    refusals, and nothing written: a preview's Idempotency-Key is neither replayed (the edge drops it,
    http.endpoint's `preview`) nor read or stored here.
    """
    tenant_id = caller.tenant_id
    if body.dryRun:
        caller = replace(caller, idempotency_key=None, fingerprint="")

    def attempt(operation: Operation) -> dict[str, Any] | Answer:
        plan = _plan_return(tenant_id, operation, order_id, body)
        if body.dryRun:
            return Answer(plan.answer(committed=False), 200)
        return operation.commit(plan.writes, plan.answer(committed=True))

    return run(caller, attempt)
