"""Scheduled jobs: expire due lots, auto-approve delayed awards, give expiring-soon notices. Idempotent and resumable.

Each job walks a sparse due-date index per tenant (repository.lots / repository.ledger `due`) and
settles one item per transaction.
Settling removes the item from the index in the same transaction, so a crash half-way leaves
every balance right and a re-run picks up exactly what is left.

A run pages through the due entries (a page per tenant in turn, so a tenant with a million due
lots does not starve the others), settles a page's items on a few threads, stops before its time
budget is spent (the next run resumes: what is settled has left the index), and isolates a
tenant that fails: it is logged and skipped, the others go on, and the run then raises
TenantsFailed so the failure reaches the alarm and the dead-letter queue.

Runs of one job never overlap: a run takes the job's lease in the table (repository.leases) before
it starts, extends it before each page and gives it back at the end; a second run while the lease is
held settles nothing and says so. A run that crashed frees the lease when it expires (the run's
remaining time plus LEASE_MARGIN_SECONDS). Lambda's reserved concurrency is not needed for this.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import datetime
from typing import Any, TypeVar

from loyalty import clock
from loyalty.errors import ApiError
from loyalty.observability import logger
from loyalty.repository import leases, retry, store
from loyalty.repository import ledger as ledger_db
from loyalty.repository import lots as lots_db
from loyalty.repository import members as members_db
from loyalty.services import expiring_soon, members, program, tenants, transactions
from loyalty.services.book import Book

T = TypeVar("T")


def _settle(step: Callable[[], T], unsettled: T, budget: Budget | None = None) -> T:
    """Run one item's read-decide-write under the retry policy, its retries ending before the run's
    budget does; an item left unsettled (answered `unsettled`) waits for the next run."""
    try:
        return retry.until_decided(step, (budget or UNLIMITED).retries())
    except (ApiError, retry.Rejected) as error:  # busy past the budget, throttled, or permanent: logged, skipped
        logger.warning("job item left for the next run", extra={"reason": str(error)})
        return unsettled


def expire_lot(tenant_id: str, member_id: str, expires_on: str, now: datetime, budget: Budget | None = None) -> int:
    """Expire what is unspent of one due lot (and of any before it); 0 if it was settled already."""

    def step() -> int:
        wanted: list[store.Key[Any]] = [
            lots_db.key(tenant_id, member_id, expires_on),
            members_db.key(tenant_id, member_id),
        ]
        lot, member = store.get_many(wanted)
        if lot is None or member is None:
            return 0
        book = Book(tenant_id, member)
        points = book.expire_through(lot)
        if points:
            reason = f"points earned until {expires_on} expired"
            _, writes = transactions.post(book, now, "expire", points, "approved", reason=reason)
        else:
            writes = book.writes(now)
        store.transact([*writes, lots_db.delete(tenant_id, member_id, expires_on)])
        return points

    return _settle(step, 0, budget)


def approve_due(tenant_id: str, transaction_id: str, now: datetime, budget: Budget | None = None) -> bool:
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

    return _settle(step, False, budget)


PAGE_SIZE = 100
LEASE_MARGIN_SECONDS = 10
# A run by hand (no Lambda deadline) holds the lease this long past its latest page.
UNBOUNDED_LEASE_SECONDS = 900
WORKERS = 8  # settles in flight at once: each is I/O-bound (one read, one transaction)


class Budget:
    """How long a run may go on: until less than `reserve_ms` of the Lambda's time is left."""

    def __init__(self, time_left_ms: Callable[[], int] | None = None, reserve_ms: int = 20_000) -> None:
        self._time_left_ms = time_left_ms
        self._reserve_ms = reserve_ms

    @classmethod
    def of_lambda(cls, context: Any) -> Budget:
        """The budget of a Lambda invocation; JOB_RESERVE_SECONDS is kept for the last page to finish."""
        reserve = int(os.environ.get("JOB_RESERVE_SECONDS", "20")) * 1000
        return cls(context.get_remaining_time_in_millis, reserve)

    def spent(self) -> bool:
        return self._time_left_ms is not None and self._time_left_ms() < self._reserve_ms

    def lease_seconds(self) -> int:
        """How long a lease taken now must last: the run's remaining time and a margin (a crashed run
        frees it that much after its timeout); a run without a deadline extends it page by page."""
        if self._time_left_ms is None:
            return UNBOUNDED_LEASE_SECONDS
        return self._time_left_ms() // 1000 + LEASE_MARGIN_SECONDS

    def retries(self) -> retry.Budget:
        """The retry budget of one item: the policy's, cut short so that no retry runs into the reserve."""
        if self._time_left_ms is None:
            return retry.races()
        usable = max(0.0, (self._time_left_ms() - self._reserve_ms) / 1000)
        return retry.races(min(retry.RACE_BUDGET_SECONDS, usable))


UNLIMITED = Budget()


class TenantsFailed(RuntimeError):
    """Some tenants failed (each logged with its error); every other tenant was settled."""

    def __init__(self, job: str, tenant_ids: list[str], result: dict[str, Any]) -> None:
        super().__init__(f"{job}: {len(tenant_ids)} tenant(s) failed: {', '.join(tenant_ids)}; result {result}")
        self.tenant_ids = tenant_ids
        self.result = result


Page = tuple[list[dict[str, Any]], dict[str, Any] | None]


def _walk(
    job: str,
    tenant_ids: list[str],
    due: Callable[[str, dict[str, Any] | None], Page],
    settle: Callable[[str, dict[str, Any]], None],
    budget: Budget,
    still_ours: Callable[[], bool] = lambda: True,
) -> tuple[bool, list[str]]:
    """Settle every tenant's due entries, page by page: (False if the budget ran out first, failed tenants).

    The budget is checked before each item's work starts, not when the item is queued: a page's items
    wait for a free worker, and an item started late would run into the Lambda's timeout.
    """
    cursors: dict[str, dict[str, Any] | None] = dict.fromkeys(tenant_ids)
    failed: list[str] = []
    left_over = threading.Event()

    def work(tenant_id: str, item: dict[str, Any]) -> None:
        if budget.spent():  # the item stays due: the next run settles it
            left_over.set()
            return
        settle(tenant_id, item)

    with ThreadPoolExecutor(WORKERS) as pool:
        while cursors:
            for tenant_id in list(cursors):
                if budget.spent() or left_over.is_set() or not still_ours():
                    return False, failed
                try:
                    items, cursors[tenant_id] = due(tenant_id, cursors[tenant_id])
                    for future in wait([pool.submit(work, tenant_id, item) for item in items]).done:
                        future.result()
                except Exception:
                    logger.exception(
                        "job failed for a tenant; the others go on", extra={"job": job, "tenant": tenant_id}
                    )
                    failed.append(tenant_id)
                    cursors[tenant_id] = None
                if cursors[tenant_id] is None:
                    del cursors[tenant_id]
    return not left_over.is_set(), failed


def _run(
    job: str,
    totals: dict[str, int],
    settle_one: Callable[[str, dict[str, Any]], dict[str, int]],
    due: Callable[[str, dict[str, Any] | None], Page],
    tenant_ids: list[str] | None,
    budget: Budget,
) -> dict[str, Any]:
    """Walk every tenant's due entries, adding what each settled item counts to `totals`."""
    lock = threading.Lock()

    def settle(tenant_id: str, item: dict[str, Any]) -> None:
        counted = settle_one(tenant_id, item)
        with lock:
            for name, amount in counted.items():
                totals[name] += amount

    holder = uuid.uuid4().hex
    if not leases.take(job, holder, budget.lease_seconds()):
        logger.info("another run of this job holds its lease; this run does nothing", extra={"job": job})
        return {**totals, "complete": False, "skipped": "another run of this job is in progress"}
    try:
        complete, failed = _walk(
            job,
            tenant_ids or tenants.list_tenants(),
            due,
            settle,
            budget,
            lambda: leases.take(job, holder, budget.lease_seconds()),  # extended before each page
        )
    finally:
        leases.give_back(job, holder)
    result = {**totals, "complete": complete}
    if failed:
        raise TenantsFailed(job, failed, result)
    return result


def expire_points(
    now: datetime | None = None, tenant_ids: list[str] | None = None, budget: Budget = UNLIMITED
) -> dict[str, Any]:
    """Expire every lot whose last day is before today (UTC); `complete` is False if the budget ran out."""
    now = now or clock.now()
    day = clock.day(now)
    return _run(
        "expire_points",
        {"lots": 0, "points": 0},
        lambda tenant_id, lot: {
            "lots": 1,
            "points": expire_lot(tenant_id, lot["memberId"], lot["expiresOn"], now, budget),
        },
        lambda tenant_id, start: lots_db.due(tenant_id, day, start, PAGE_SIZE),
        tenant_ids,
        budget,
    )


def approve_delayed(
    now: datetime | None = None, tenant_ids: list[str] | None = None, budget: Budget = UNLIMITED
) -> dict[str, Any]:
    """Approve every delayed award whose autoApprovalDate has come; `complete` is False if the budget ran out."""
    now = now or clock.now()
    moment = clock.iso(now)
    return _run(
        "approve_delayed",
        {"approved": 0},
        lambda tenant_id, entry: {"approved": int(approve_due(tenant_id, entry["transactionId"], now, budget))},
        lambda tenant_id, start: ledger_db.due(tenant_id, moment, start, PAGE_SIZE),
        tenant_ids,
        budget,
    )


# --- points.expiring_soon (§13): a notice per member and lot date, services/expiring_soon.py ---


def notify_expiring(
    now: datetime | None = None,
    tenant_ids: list[str] | None = None,
    budget: Budget = UNLIMITED,
    publish: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Give points.expiring_soon for every lot expiring within each program's expiryNoticeDays (once per member
    and lot date, however often it runs); `publish` gets each event given (the event bus, deployed)."""
    now = now or clock.now()
    days: dict[str, int] = {}

    def due(tenant_id: str, start: dict[str, Any] | None) -> Page:
        if tenant_id not in days:  # read once a run, strongly consistent (a change of N counts from the next run)
            days[tenant_id] = expiring_soon.notice_days(program.fresh(tenant_id))
        first, last = expiring_soon.window(now, days[tenant_id])
        return lots_db.expiring(tenant_id, first, last, start, PAGE_SIZE)

    def notify(tenant_id: str, lot: dict[str, Any]) -> dict[str, int]:
        event = _settle(
            lambda: expiring_soon.notify(tenant_id, lot["memberId"], lot["expiresOn"], now, days[tenant_id]),
            None,
            budget,
        )
        if event is not None and publish is not None:
            publish(event)
        return {"lots": 1, "notices": int(event is not None)}

    return _run("notify_expiring", {"lots": 0, "notices": 0}, notify, due, tenant_ids, budget)
