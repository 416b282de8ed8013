"""What an order earns and keeps, and the orders that awards record (contract §6 and §10 "Rule changes").

Each award on an order leaves an *earning* on it: the formula it earned by at the time, so that a
return can work out what the value left of the order still earns (§10 "Partial returns"):

- `multiplier`: floor(base * multiplier); of a remaining value r of the order's total T it keeps
  floor(base * multiplier * r / T), which is floor(r * multiplier) when the base is the total;
- `fixed`: its points, kept whole while anything of the order is left;
- `share` (orders recorded before earnings were stored): the order's points in proportion,
  floor(pointsAwarded * r / T).

A return takes back `pointsAwarded - kept(T - cumulative returnedAmount) - pointsReturned so far`
(services.orders, where the mutation tests reach it).

An award with an `orderId` through a multiplier activity records that order (its total is the
award's base value) or, if it exists, joins it: the order's transactions, points and earnings gain
the award (§10 "Award orders are orders"). A fixed activity's award has no value to record.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from loyalty import clock, currencies
from loyalty.errors import Conflict
from loyalty.models.orders import MAX_AWARDS

if TYPE_CHECKING:
    from datetime import datetime

    from loyalty.repository.records import TransactionRecord


def earning(activity: dict[str, Any], base: Decimal | int | None, points: int) -> dict[str, Any]:
    """The formula an award on an order earned by (base: the order's total or the award's base value)."""
    if activity["type"] == "multiplier":
        return {"kind": "multiplier", "base": str(base), "multiplier": str(activity["multiplier"]), "points": points}
    return {"kind": "fixed", "points": points}


def earnings(order: dict[str, Any]) -> list[dict[str, Any]]:
    """The order's earnings; an order recorded before they were stored keeps its points in proportion."""
    stored: list[dict[str, Any]] | None = order.get("earnings")
    return stored if stored is not None else [{"kind": "share", "points": order["pointsAwarded"]}]


def award_order(currency: str, member_id: str, order_id: str, base: int, now: datetime) -> dict[str, Any]:
    """The order an award through a multiplier activity records (before the award joins it): its total
    is the award's base value in the program's currency."""
    return {
        "orderId": order_id,
        "memberId": member_id,
        "currency": currency,
        "subtotal": None,
        "total": str(currencies.rounded(Decimal(base), currency)),
        "items": [],
        "orderedAt": clock.iso(now),
        "channel": "online",
        "pointsAwarded": 0,
        "pointsReturned": 0,
        "returnedAmount": currencies.zero(currency),
        "transactionIds": [],
        "earnings": [],
        "recordedBy": "award",  # POST /orders compares its data with this order's, field by field
        "createdAt": clock.iso(now),
        "updatedAt": clock.iso(now),
        "version": 0,
        "returns": 0,
    }


def check_joinable(order: dict[str, Any], member_id: str) -> None:
    """An award joins an order of its own member, before any return and within MAX_AWARDS awards."""
    if order["memberId"] != member_id:
        raise Conflict("duplicate", "This orderId is an order of another member.")
    if order.get("returns", 0) or Decimal(order["returnedAmount"]) > 0:
        raise Conflict("invalid_state", "The order has been returned (in part or in full); no award can join it.")
    if len(earnings(order)) >= MAX_AWARDS:
        raise Conflict("invalid_state", f"An order takes awards of at most {MAX_AWARDS} activities.")


def join(order: dict[str, Any], entry: TransactionRecord, made: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The order with one more award: its transaction, its points and its earning (its version as read)."""
    return {
        **order,
        "pointsAwarded": order["pointsAwarded"] + entry["points"],
        "transactionIds": [*order["transactionIds"], entry["transactionId"]],
        "earnings": [*earnings(order), made],
        "updatedAt": clock.iso(now),
    }


def same_as_posted(order: dict[str, Any], given: dict[str, Any], program_currency: str) -> bool:
    """Whether a POST /orders body (its given fields) says what an order recorded by an award says."""
    wanted = {
        "memberId": given["memberId"],
        "total": Decimal(given["total"]),
        "currency": given.get("currency") or program_currency,
        "subtotal": given.get("subtotal"),
        "items": given.get("items") or [],
        "orderedAt": given.get("orderedAt") or order["orderedAt"],
        "channel": given.get("channel") or order["channel"],
    }
    return wanted == {**{name: order.get(name) for name in wanted}, "total": Decimal(order["total"])}
