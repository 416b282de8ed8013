"""Scheduled jobs: expire due lots, auto-approve delayed awards. Idempotent and resumable.

Each job walks a sparse due-date index per tenant (repository.lots / repository.ledger `due`) and
settles one item per transaction.
Settling removes the item from the index in the same transaction, so a crash half-way leaves
every balance right and a re-run picks up exactly what is left.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from loyalty import clock
from loyalty.errors import ApiError
from loyalty.observability import logger
from loyalty.repository import ledger as ledger_db
from loyalty.repository import lots as lots_db
from loyalty.repository import members as members_db
from loyalty.repository import retry, store
from loyalty.services import members, tenants, transactions
from loyalty.services.book import Book


def _settle(step: Callable[[], bool]) -> bool:
    """Run one item's read-decide-write under the retry policy; an item left unsettled waits for the next run."""
    try:
        return retry.until_decided(step)
    except (ApiError, retry.Rejected) as error:  # busy past the budget, throttled, or permanent: logged, skipped
        logger.warning("job item left for the next run", extra={"reason": str(error)})
        return False


def expire_lot(tenant_id: str, member_id: str, expires_on: str, now: datetime) -> int:
    """Expire what is unspent of one due lot (and of any before it); 0 if it was settled already."""
    expired = [0]

    def step() -> bool:
        lot, member = store.get_many(
            [lots_db.key(tenant_id, member_id, expires_on), members_db.key(tenant_id, member_id)]
        )
        if lot is None or member is None:
            return False
        book = Book(tenant_id, member)
        points = book.expire_through(lot)
        items = [
            *book.writes(now),
            lots_db.delete(tenant_id, member_id, expires_on),
        ]
        if points:
            entry = transactions.new(
                book, now, "expire", points, "approved", reason=f"points earned until {expires_on} expired"
            )
            items.append(transactions.finish(book, entry))
        store.transact(items)
        expired[0] = points
        return True

    _settle(step)
    return expired[0]


def approve_due(tenant_id: str, transaction_id: str, now: datetime) -> bool:
    """Auto-approve one delayed award past its date; False if it is no longer pending.

    The award of a member erased since is rejected instead: an erased member earns nothing.
    """

    def step() -> bool:
        entry = store.get(ledger_db.key(tenant_id, transaction_id))
        if entry is None or entry["status"] != "pending" or not entry.get("autoApprovalDate"):
            return False
        book = Book(tenant_id, members.load(tenant_id, entry["memberId"]))
        if book.member.get("erasedAt"):
            items, _ = transactions.rejection_writes(book, entry, now, "the member was erased")
            store.transact(items)
            return False
        items, _ = transactions.approval_writes(book, entry, now, status="auto_approved")
        store.transact(items)
        return True

    return _settle(step)


def expire_points(now: datetime | None = None, tenant_ids: list[str] | None = None) -> dict[str, int]:
    """Expire every lot whose last day is before today (UTC)."""
    now = now or clock.now()
    lots = points = 0
    for tenant_id in tenant_ids or tenants.list_tenants():
        for lot in lots_db.due(tenant_id, clock.day(now)):
            points += expire_lot(tenant_id, lot["memberId"], lot["expiresOn"], now)
            lots += 1
    return {"lots": lots, "points": points}


def approve_delayed(now: datetime | None = None, tenant_ids: list[str] | None = None) -> dict[str, int]:
    """Approve every delayed award whose autoApprovalDate has come."""
    now = now or clock.now()
    approved = 0
    for tenant_id in tenant_ids or tenants.list_tenants():
        for entry in ledger_db.due(tenant_id, clock.iso(now)):
            approved += approve_due(tenant_id, entry["transactionId"], now)
    return {"approved": approved}
