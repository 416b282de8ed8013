"""Earning and spending: awards (fixed or multiplier, caps, approval methods) and deductions."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Any

from loyalty import clock
from loyalty.errors import Conflict, ValidationFailed
from loyalty.operation import Caller, Operation, run
from loyalty.repository import awards as awards_db
from loyalty.repository import members as members_db
from loyalty.repository import orders as orders_db
from loyalty.repository import store
from loyalty.services import activities, order_points, program, transactions
from loyalty.services.book import Book, expires_at

if TYPE_CHECKING:
    from loyalty.models.ledger import AwardCreate, DeductionCreate
    from loyalty.repository.records import TransactionRecord


def window(interval: str, now: datetime) -> tuple[str, int | None]:
    """The UTC calendar window (or lifetime) an award falls in, and when its counter may be forgotten."""
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if interval == "day":
        name, end = clock.day(now), start + timedelta(days=1)
    elif interval == "week":
        year, week, weekday = now.isocalendar()
        name, end = f"{year}-W{week:02d}", start + timedelta(days=8 - weekday)
    elif interval == "month":
        name = now.strftime("%Y-%m")
        end = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    elif interval == "year":
        name, end = now.strftime("%Y"), start.replace(year=now.year + 1, month=1, day=1)
    else:
        return "lifetime", None
    return name, int((end + timedelta(days=1)).timestamp())


def counter_key(tenant_id: str, member_id: str, activity: dict[str, Any], now: datetime) -> store.Key | None:
    """The member's counter of awards of a capped activity in the current window (None if uncapped)."""
    interval = activity.get("maxAwardFrequencyInterval")
    if not interval or not activity.get("maxAwardFrequency"):
        return None
    name, _ = window(interval, now)
    return awards_db.counter_key(tenant_id, member_id, activity["activityId"], name)


def points_for(activity: dict[str, Any], base: Decimal | int | None, field: str) -> int:
    """Fixed: the configured points (or `base` as an override). Multiplier: floor(base * multiplier)."""
    if activity["type"] == "fixed":
        return int(base) if base is not None else activity["points"]
    if base is None:
        raise ValidationFailed(details=[{"field": field, "message": "is required for a multiplier activity"}])
    return int((Decimal(str(base)) * Decimal(str(activity["multiplier"]))).to_integral_value(ROUND_FLOOR))


def check_can_earn(activity: dict[str, Any], counter: dict[str, Any] | None) -> None:
    if not activity["isActive"]:
        raise Conflict("activity_inactive", "The activity is not active.")
    if counter is not None and counter.get("count", 0) >= activity["maxAwardFrequency"]:
        raise Conflict(
            "frequency_limit_reached",
            f"The member has reached the limit of {activity['maxAwardFrequency']} awards of this activity per "
            f"{activity['maxAwardFrequencyInterval']}.",
        )


def grant(
    book: Book,
    activity: dict[str, Any],
    points: int,
    now: datetime,
    *,
    order_id: str | None = None,
    reason: str | None = None,
    **extra: Any,
) -> tuple[list[store.TxItem], TransactionRecord]:
    """The writes of one award: the entry, the member's balance (and lot), the cap counter, the order guard.
    `extra`: more fields of the entry that name what earned it (a challenge response; a promo code's use names
    its promotion and code)."""
    tenant_id = book.tenant_id
    settings = program.load(tenant_id)
    method = activity["approvalMethod"]
    fields: dict[str, Any] = {
        "activityId": activity["activityId"],
        "activityName": activity["name"],
        "orderId": order_id,
        "reason": reason,
        "qualified": bool(activity["qualifiedPoints"]),
        **extra,
    }
    if method == "immediate":
        expires_on = book.earn(points, now=now, expiry_days=settings["pointsExpiryDays"], qualified=fields["qualified"])
        fields["expiresAt"] = expires_at(expires_on)
        status = "approved"
    else:
        book.add_pending(points)
        status = "pending"
        if method == "delayed":
            fields["autoApprovalDate"] = clock.iso(now + timedelta(days=settings["pendingDays"]))
    book.member["lastAward"] = {"date": clock.iso(now), "points": points, "activityName": activity["name"]}
    entry, items = transactions.post(book, now, "award", points, status, **fields)
    counter = counter_key(tenant_id, book.member_id, activity, now)
    if counter is not None:
        _, forget_at = window(activity["maxAwardFrequencyInterval"], now)
        items.append(awards_db.count_one(counter, activity["maxAwardFrequency"], forget_at))
    if order_id:
        items.append(awards_db.put_awarded(tenant_id, activity["activityId"], order_id, entry))
    return items, entry


def award(caller: Caller, member_id: str, body: AwardCreate) -> dict[str, Any]:
    tenant_id, order_id = caller.tenant_id, body.orderId
    activity = activities.load(tenant_id, body.activityId)
    points = points_for(activity, body.points, "points")
    if points < 1:
        raise ValidationFailed(details=[{"field": "points", "message": "the award would be less than 1 point"}])

    # §10: an award with an orderId through a multiplier activity records that order, or joins it
    order_key = orders_db.key(tenant_id, order_id) if order_id and activity["type"] == "multiplier" else None

    def attempt(operation: Operation) -> dict[str, Any]:
        now = clock.now()
        wanted: list[store.Key[Any]] = [members_db.key(tenant_id, member_id)]
        counter_at = counter_key(tenant_id, member_id, activity, now)
        wanted += [counter_at] if counter_at else []
        if order_id:
            wanted.append(awards_db.awarded_guard(tenant_id, activity["activityId"], order_id))
        wanted += [order_key] if order_key else []
        member, *found = operation.read(wanted)
        counter = found.pop(0) if counter_at else None
        guard = found.pop(0) if order_id else None
        order = found.pop(0) if order_key else None
        book = Book(tenant_id, store.required(member, "member"))
        book.require_active()
        check_can_earn(activity, counter)
        if guard is not None:
            raise Conflict("duplicate", "This orderId has already earned points through this activity.")
        if order is not None:
            order_points.check_joinable(order, member_id)
        items, entry = grant(book, activity, points, now, order_id=order_id, reason=body.reason)
        if order_id and order_key:
            items.append(_recorded(tenant_id, order_id, order, activity, body.points, entry, now))
        return operation.commit(items, transactions.public(entry))

    return run(caller, attempt)


def _recorded(
    tenant_id: str,
    order_id: str,
    order: dict[str, Any] | None,
    activity: dict[str, Any],
    base: int | None,
    entry: TransactionRecord,
    now: datetime,
) -> store.TxItem:
    """The order an award records (new, its total the award's base value) or joins (on its version as read)."""
    made = order_points.earning(activity, base, entry["points"])
    if order is None:
        currency = program.load(tenant_id)["currency"]
        fresh = order_points.award_order(currency, entry["memberId"], order_id, base or 0, now)
        return store.put_new(orders_db.item(tenant_id, order_points.join(fresh, entry, made, now)))
    joined = {**order_points.join(order, entry, made, now), "version": order["version"] + 1}
    return store.put_versioned(orders_db.item(tenant_id, joined), order["version"])


def deduct(caller: Caller, member_id: str, body: DeductionCreate) -> dict[str, Any]:
    """Take points from a member's available balance; never below zero."""
    tenant_id = caller.tenant_id

    def attempt(operation: Operation) -> dict[str, Any]:
        now = clock.now()
        book = Book(tenant_id, operation.read_existing(members_db.key(tenant_id, member_id), "member"))
        book.require_active()
        book.spend(body.points)
        entry, items = transactions.post(book, now, "deduct", body.points, "approved", reason=body.reason)
        return operation.commit(items, transactions.public(entry))

    return run(caller, attempt)
