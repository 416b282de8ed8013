"""Exports (contract §14): a tenant's members, transactions and vouchers as streams of plain rows.

Every export walks the tenant's own lists, never the table (a Scan or DynamoDB's table export would hold
every tenant's data; docs/decisions.md "Exports walk the tenant's lists"):

- members: the creation list `members.by_creation` (one listing entry per member, by memberId), then each
  member item and its lots by key;
- transactions: the program's ledger list `ledger.of_program` (its entries carry the whole transaction);
- vouchers: the offer catalog, then each offer's voucher list `vouchers.of_offer` (whole vouchers too).

Each of those lists is write-sharded (repository/sharded.py): every shard is a partition walked by its own
worker (a thread that reads the shard's pages a little ahead into a small queue), and the shards' streams
are merged in sort-key order, so an export comes out in id order (creation order) whatever the tenant's
shard count, with memory bounded by the queues. Reading a member's item and lots is the costly part of
a members export, so members are read in batches of BATCH by a bounded pool of READERS, in order.

`from_` / `to` (ISO times, both included) bound the ids' time part, as the list routes' `from` / `to` and
`createdFrom` / `createdTo` do: transactions by `createdAt`, vouchers by `acquiredAt` (their issue), members
by `createdAt` — when the member was enrolled in this program (by the API or by an import), not when
it earned its points.

Members come out in the import file format (services/import_files.py), so that `loyalty import members`
of an export into a fresh tenant gives the same members and balances: one row per unspent lot (the part
of a lot the member has not spent, soonest expiry first) with `lotId` (the lot's expiry date: a member
has one lot per expiry date), `points`, `earnedAt`, `expiresAt`; a member without points is one row with
no lot. The first row carries the profile and `qualifiedPoints` (lifetime qualified points, for tiers);
every row carries the member's identifiers. Not exported, as the import format has no column for them:
pending points (not yet approved: they are not the member's to carry over), status, gender,
profileImageUrl, referral data, and the member's history (its transactions are an export of their own).
An erased member is skipped: its personal data is gone, and what is left (an id and a balance that can no
longer be used) is nothing an import could give to anyone.
"""

from __future__ import annotations

import heapq
import queue
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from loyalty import clock, ids
from loyalty.errors import ValidationFailed
from loyalty.models.types import FIRST_YEAR, LAST_YEAR
from loyalty.repository import lots as lots_db
from loyalty.repository import members as members_db
from loyalty.repository import offers as offers_db
from loyalty.repository import store
from loyalty.repository import vouchers as vouchers_db
from loyalty.repository.ledger import of_program
from loyalty.repository.table import INDEXES
from loyalty.services import transactions, vouchers
from loyalty.services.book import NEVER, expires_at, unspent

if TYPE_CHECKING:
    from loyalty.repository.records import LotRecord, MemberRecord
    from loyalty.repository.sharded import ShardedCollection

T = TypeVar("T")
R = TypeVar("R")
Rows = Generator[dict[str, Any], None, None]  # an export's rows; closing it stops its workers

PAGE = 1000  # list entries per Query (the 1 MB answer limit cuts it shorter for large items)
AHEAD = 2  # pages a shard's worker reads ahead of the merge
BATCH = 100  # members read per BatchGetItem
READERS = 8  # member batches read at once: 8 kept the engine busier than 4 or 6 on 2 cores (performance.md)

# The import file's columns (contract §14), in its order: the members export writes exactly these.
IDENTIFIERS = ("externalId", "email", "phone", "cardId")
PROFILE = ("firstName", "lastName", "birthdate", "tags", "tierOverride")
LOT = ("lotId", "points", "earnedAt", "expiresAt")
MEMBER_COLUMNS = (*IDENTIFIERS, *PROFILE, *LOT, "qualifiedPoints")


# --- the members export ---------------------------------------------------------------------------


def export_members(tenant_id: str, *, from_: str | None = None, to: str | None = None, readers: int = READERS) -> Rows:
    """The tenant's members as import rows (see the module), members in creation order, a member's rows together."""
    entries = walk(members_db.by_creation(tenant_id), time_range(from_, to))
    for rows in ordered(chunks(entries, BATCH), lambda batch: _member_batch(tenant_id, batch), readers):
        for member_rows in rows:
            yield from member_rows


def _member_batch(tenant_id: str, entries: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The rows of a batch of listed members: one BatchGetItem of the members, one of the last lot of each
    member with points, and a Query of a member's unspent lots only when its last lot is not all it has (of its
    whole partition when lots and member disagree: a write came in between)."""
    found = store.get_many([members_db.key(tenant_id, entry["memberId"]) for entry in entries])
    live = [member for member in found if member is not None and not member.get("erasedAt")]
    holding = [member for member in live if member["balance"]["available"] > 0 and member.get("lastLotExpiry")]
    last_lots = store.get_many([lots_db.key(tenant_id, m["memberId"], str(m["lastLotExpiry"])) for m in holding])
    last_of = {member["memberId"]: lot for member, lot in zip(holding, last_lots, strict=True)}
    out = []
    for member in live:
        lots = _unspent_lots(tenant_id, member, last_of.get(member["memberId"]))
        if lots is None:  # older lots hold points: the member's partly unspent lots, in one Query
            lots = _lots_left(tenant_id, member)
        if lots is None:  # changed since it was read (or erased): read again with its lots, in one Query
            reread, all_lots = lots_db.member_with_lots(tenant_id, member["memberId"])
            if reread is None or reread.get("erasedAt"):
                continue
            member, lots = reread, [(lot, unspent(lot, reread["consumed"])) for lot in all_lots]
        out.append(member_rows(member, [(lot, points) for lot, points in lots if points > 0]))
    return out


def _unspent_lots(tenant_id: str, member: MemberRecord, last: LotRecord | None) -> list[tuple[LotRecord, int]] | None:
    """The member's lots with what is unspent of each, when the member item and its last lot tell it all:
    no points, or a last lot (the end of the member's lot axis, services/book.py) that holds every unspent
    point. None when they do not (an older lot is partly unspent, or the two were read across a write)."""
    available = member["balance"]["available"]
    if available == 0:
        return []
    if last is None or last["cumEnd"] != member["lotTotal"]:
        return None
    left = unspent(last, member["consumed"])
    return [(last, left)] if last["cumStart"] <= member["consumed"] and left == available else None


def _lots_left(tenant_id: str, member: MemberRecord) -> list[tuple[LotRecord, int]] | None:
    """The member's lots not wholly spent (a Query of its lot items past its `consumed` position), with what is
    unspent of each; None when they do not add up to the member as read (a write came in between)."""
    found = lots_db.not_spent(tenant_id, member["memberId"], member["consumed"])
    lots = [(lot, unspent(lot, member["consumed"])) for lot in found]
    whole = all(lot["cumEnd"] <= member["lotTotal"] for lot, _ in lots)
    return lots if whole and sum(points for _, points in lots) == member["balance"]["available"] else None


def member_rows(member: Mapping[str, Any], lots: list[tuple[LotRecord, int]]) -> list[dict[str, Any]]:
    """A member's import rows: its unspent lots in expiry order (or one row without a lot), the profile and
    qualifiedPoints on the first, the identifiers on each (an import finds the member of a row by them)."""
    identifiers = {name: member.get(name) for name in IDENTIFIERS}
    profile = {name: member.get(name) for name in PROFILE}
    profile["tags"] = list(member.get("tags") or [])
    first = {**profile, "qualifiedPoints": int(member["balance"]["qualified"])}
    lots = sorted(lots, key=lambda pair: pair[0]["expiresOn"])
    rows = [{**identifiers, **_lot_columns(lot, points)} for lot, points in lots] or [
        {**identifiers, **dict.fromkeys(LOT)}
    ]
    rows[0].update(first)
    return [{name: row.get(name) for name in MEMBER_COLUMNS} for row in rows]


def _lot_columns(lot: LotRecord, points: int) -> dict[str, Any]:
    """A lot's columns: its id is its expiry date (one lot per member and date), `earnedAt` is not kept by a
    lot (it gathers the points of every award that expires that day), so it is left out."""
    expires_on = lot["expiresOn"]
    return {
        "lotId": "never" if expires_on == NEVER else expires_on,
        "points": int(points),
        "earnedAt": None,
        "expiresAt": expires_at(expires_on),
    }


# --- the transactions and vouchers exports --------------------------------------------------------


def export_transactions(tenant_id: str, *, from_: str | None = None, to: str | None = None) -> Rows:
    """The program's ledger, oldest first, each transaction as GET /transactions shows it."""
    for item in walk(of_program(tenant_id), time_range(from_, to)):
        yield transactions.public(item)


def export_vouchers(tenant_id: str, *, from_: str | None = None, to: str | None = None) -> Rows:
    """Every offer's vouchers (offer by offer, each offer's oldest first), as GET /offers/{id}/vouchers shows them."""
    between = time_range(from_, to)
    offer_ids = sorted(offer["offerId"] for offer in offers_db.catalog(tenant_id).all(limit=PAGE))
    for offer_id in offer_ids:
        for item in walk(vouchers_db.of_offer(tenant_id, offer_id), between):
            yield vouchers.public(item)


# --- CSV columns ----------------------------------------------------------------------------------


def columns(kind: str) -> tuple[str, ...]:
    """The CSV header of an export: the import columns for members, a shape's fields for the others (a nested
    object's fields as `parent.field`)."""
    if kind == "members":
        return MEMBER_COLUMNS
    from loyalty.models.ledger import Transaction
    from loyalty.models.vouchers import Voucher

    fields = Transaction.model_fields if kind == "transactions" else Voucher.model_fields
    out: list[str] = []
    for name, field in fields.items():
        inner = field.annotation
        nested = getattr(inner, "model_fields", None)
        out += [f"{name}.{sub}" for sub in nested] if nested else [field.alias or name]
    return tuple(out)


# --- walking sharded lists ------------------------------------------------------------------------


def time_range(from_: str | None, to: str | None) -> tuple[str, str]:
    """The ULID key range of a time range (ISO times, both included), or a 400 naming the bad bound (an export
    checks its range when called, before its first row is read)."""
    for name, value in (("from", from_), ("to", to)):
        if value is not None:
            try:
                moment = clock.parse_iso(value)
            except (ValueError, OverflowError):  # OverflowError: an offset that takes year 1 before year 1
                raise ValidationFailed(details=[{"field": name, "message": "is not an ISO-8601 time"}]) from None
            if not FIRST_YEAR <= moment.year <= LAST_YEAR:  # in UTC; a ULID holds no time before 1970
                message = f"must be between the years {FIRST_YEAR} and {LAST_YEAR} (UTC)"
                raise ValidationFailed(details=[{"field": name, "message": message}])
    if from_ and to and clock.parse_iso(from_) > clock.parse_iso(to):
        raise ValidationFailed(details=[{"field": "to", "message": "is before from"}])
    return ids.ulid_range(from_, to)


def walk(collection: ShardedCollection[Any], between: tuple[str, str]) -> Generator[Any, None, None]:
    """Every entry of a sharded list in `between`, in sort-key order: each shard read by its own worker
    (pages of PAGE, AHEAD pages ahead), the shards' streams merged. Closing the iterator stops the workers."""
    sort_name = INDEXES[collection.index][1]
    streams = [_read_ahead(_pages(collection.shard(k), between)) for k in range(collection.shards)]
    merged = heapq.merge(*streams, key=lambda item: item[sort_name])
    try:
        yield from merged
    finally:
        for stream in streams:
            stream.close()


def _pages(shard: store.Collection[Any], between: tuple[str, str]) -> Iterator[list[dict[str, Any]]]:
    start = None
    while True:
        items, start = shard.query(between=between, limit=PAGE, start=start)
        yield items
        if not start:
            return


_END = object()


def _read_ahead(pages: Iterator[list[T]]) -> Generator[T, None, None]:
    """The items of `pages`, the pages read by a worker thread up to AHEAD pages ahead of the reader."""
    ahead: queue.Queue[Any] = queue.Queue(maxsize=AHEAD)
    stop = threading.Event()

    def put(value: Any) -> bool:
        while not stop.is_set():
            try:
                ahead.put(value, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for page in pages:
                if not put(page):
                    return
            put(_END)
        except BaseException as error:  # handed to the reader, which raises it
            put(error)

    worker = threading.Thread(target=work, name="export-shard", daemon=True)
    worker.start()
    try:
        while True:
            got = ahead.get()
            if got is _END:
                return
            if isinstance(got, BaseException):
                raise got
            yield from got
    finally:
        stop.set()
        worker.join()


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """`items` in lists of `size` (the last one shorter)."""
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def ordered(tasks: Iterable[T], work: Callable[[T], R], workers: int) -> Iterator[R]:
    """`work(task)` of each task, run by `workers` threads at most 2 x workers tasks ahead, answered in order."""
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="export-read")
    window: deque[Future[R]] = deque()
    try:
        for task in tasks:
            window.append(pool.submit(work, task))
            if len(window) >= 2 * workers:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
