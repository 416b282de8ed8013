"""`loyalty import members FILE --tenant T`: a member import file (CSV with a header, or JSON Lines) into a tenant.

The file is streamed (services/import_files.read_rows: one line in memory at a time) and its rows handed to bounded
worker threads in small batches, each row to the worker of its member (a hash of `member_key`), so that a member's
rows are written in file order while different members are written in parallel. Every row goes through the one
row-processing path (services/imports.import_member_rows), which is idempotent: Ctrl-C stops cleanly (the rows in
flight finish, nothing else starts, the summary is printed), and running the same command again finishes the rest
and changes nothing already done. Rejected and conflicting rows go to a report sorted by line (`FILE.report.csv`:
line, status, field, reason; services/import_report.py); the summary (created, unchanged, conflicts, rejected) is
printed as JSON.

`run_import` is the reusable runner (rows, a `process(rows) -> list[RowOutcome]` callable, workers, a routing key):
`loyalty import codes` runs it with its own `process`.
"""

from __future__ import annotations

import argparse
import itertools
import os
import queue
import resource
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BATCH_ROWS = 25  # rows per batch handed to a worker (one call of `process`)
QUEUED_BATCHES = 4  # batches waiting per worker: what the reader may run ahead of the writers (memory stays flat)

Row = tuple[int, Mapping[str, Any]]


@dataclass
class Summary:
    """What an import did: the counts of the contract's summary, and where its report is."""

    created: int = 0
    unchanged: int = 0
    conflicts: int = 0
    rejected: int = 0
    rows_total: int = 0
    interrupted: bool = False
    seconds: float = 0.0
    report: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def count(self, status: str) -> None:
        self.rows_total += 1
        if status == "created":
            self.created += 1
        elif status == "unchanged":
            self.unchanged += 1
        elif status == "conflict":
            self.conflicts += 1
        else:
            self.rejected += 1

    def counts(self) -> dict[str, int]:
        return {
            "created": self.created,
            "unchanged": self.unchanged,
            "conflicts": self.conflicts,
            "rejected": self.rejected,
            "rowsTotal": self.rows_total,
        }

    def as_json(self) -> dict[str, Any]:
        rate = self.rows_total / self.seconds if self.seconds else 0.0
        return {
            **self.counts(),
            "interrupted": self.interrupted,
            "seconds": round(self.seconds, 2),
            "rowsPerSecond": round(rate, 1),
            "report": self.report,
            **self.extra,
        }


def rss_mib() -> float:
    """This process's resident memory now, in MiB (Linux: /proc; elsewhere the peak)."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1_048_576
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def count_lines(path: Path) -> int:
    """The file's physical lines, read in chunks (for the progress bar's total; never the whole file at once)."""
    lines, last = 0, b"\n"
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (0 if last == b"\n" else 1)


class _Stop(Exception):
    pass


def run_import(
    rows: Iterable[tuple[int, Any]],
    process: Callable[[Sequence[Row]], Sequence[Any]],
    *,
    key: Callable[[Mapping[str, Any]], str],
    workers: int = 4,
    report: Path | None = None,
    total: int | None = None,
    progress: bool = True,
    on_rows: Callable[[int], None] | None = None,
    batch_rows: int = BATCH_ROWS,
) -> Summary:
    """Run every row through `process` on `workers` threads; rows sharing a `key` go to one worker, in order.

    `rows` yields (line, row dict) or (line, an unreadable-row error with `field` and `reason`: reported as
    rejected without reaching `process`). `process` returns one outcome per row (`line`, `status`, `field`,
    `reason`). Ctrl-C (KeyboardInterrupt) stops reading, lets each worker finish the batch in hand, and returns
    the summary with `interrupted`. `on_rows(n)` is called with the running row count (the bench's RSS probes).
    """
    from loyalty.services.import_report import SortedReport
    from tqdm import tqdm  # type: ignore[import-untyped]

    summary = Summary(report=str(report) if report else None)
    started = time.monotonic()
    outcomes: queue.Queue[list[Any] | BaseException] = queue.Queue()
    inboxes: list[queue.Queue[list[Row] | None]] = [queue.Queue(maxsize=QUEUED_BATCHES) for _ in range(workers)]
    stopping = threading.Event()

    def work(inbox: queue.Queue[list[Row] | None]) -> None:
        while True:
            batch = inbox.get()
            if batch is None:
                return
            if stopping.is_set():
                continue  # stopped: batches not started stay undone (a later run does them)
            try:
                outcomes.put(list(process(batch)))
            except BaseException as error:  # a store error: stop everything, report it
                stopping.set()
                outcomes.put(error)

    threads = [threading.Thread(target=work, args=(inbox,), daemon=True) for inbox in inboxes]
    for thread in threads:
        thread.start()
    bar = tqdm(total=total, unit="row", disable=not progress, dynamic_ncols=True, smoothing=0.1, file=sys.stderr)
    report_rows = SortedReport(report) if report else None
    failure: list[BaseException] = []

    def record(found: Iterable[Any]) -> None:
        done = 0
        for outcome in found:
            summary.count(outcome.status)
            done += 1
            if report_rows and outcome.status in ("conflict", "rejected"):
                report_rows.add(outcome.line, outcome.status, outcome.field, outcome.reason)
        bar.update(done)
        if on_rows:
            on_rows(summary.rows_total)

    def drain(block: bool = False) -> None:
        while True:
            try:
                got = outcomes.get(block=block, timeout=0.2 if block else None)
            except queue.Empty:
                return
            if isinstance(got, BaseException):
                failure.append(got)
                raise _Stop
            record(got)
            block = False

    def hand(index: int, batch: list[Row]) -> None:
        while True:
            try:
                inboxes[index].put(batch, timeout=0.2)
                return
            except queue.Full:
                drain()

    pending: list[list[Row]] = [[] for _ in range(workers)]
    try:
        for line, row in rows:
            if not isinstance(row, Mapping):  # unreadable: reported here, never processed
                record([_Rejected(line, "rejected", row.field, row.reason)])
                continue
            index = hash(key(row)) % workers
            pending[index].append((line, row))
            if len(pending[index]) >= batch_rows:
                hand(index, pending[index])
                pending[index] = []
                drain()
        for index, batch in enumerate(pending):
            if batch:
                hand(index, batch)
    except KeyboardInterrupt:
        summary.interrupted = True
        stopping.set()
    except _Stop:
        stopping.set()
    try:
        for inbox in inboxes:
            inbox.put(None)
        while any(thread.is_alive() for thread in threads) or not outcomes.empty():
            try:
                drain(block=True)
            except _Stop:
                stopping.set()
    except KeyboardInterrupt:  # a second Ctrl-C: the in-flight batches are left (a rerun does them)
        summary.interrupted = True
        stopping.set()
    bar.close()
    if report_rows:
        report_rows.close()
    summary.seconds = time.monotonic() - started
    if failure:
        raise failure[0]
    return summary


@dataclass(frozen=True)
class _Rejected:
    line: int
    status: str
    field: str | None
    reason: str | None


BATCH_ATTEMPTS = 5


def retried(attempt: Callable[[], Sequence[Any]]) -> list[Any]:
    """A batch run again after a store error the store's own retries did not get past (a busy engine's timeout):
    safe, as every row is idempotent (a row whose write landed before the error is then `unchanged`)."""
    from loyalty.errors import Unavailable

    for tries in range(1, BATCH_ATTEMPTS + 1):
        try:
            return list(attempt())
        except Unavailable:
            if tries == BATCH_ATTEMPTS:
                raise
            time.sleep(0.5 * 2**tries)
    raise AssertionError("unreachable")


def report_path(file: Path, given: str | None) -> Path:
    """Where the report of importing `file` goes (`given`, else FILE.report.csv); never the file itself."""
    from tools.exits import Usage

    report = Path(given) if given else file.with_name(file.name + ".report.csv")
    if report.resolve() == file.resolve() or (report.exists() and report.samefile(file)):
        raise Usage(f"--report names the file being imported ({file}): the report would overwrite it")
    return report


def import_members(
    path: Path,
    tenant_id: str,
    *,
    workers: int = 4,
    report: Path | None = None,
    progress: bool = True,
    on_rows: Callable[[int], None] | None = None,
) -> Summary:
    """Import a member file into a tenant (the tenant must exist); `import.completed` once the whole file is done."""
    from loyalty.models.imports import COLUMNS
    from loyalty.services import imports, tenants
    from loyalty.services.import_files import read_rows

    tenants.require_tenant(tenant_id)
    import_id = imports.new_import_id()

    def process(batch: Sequence[Row]) -> list[Any]:
        return retried(lambda: imports.import_member_rows(tenant_id, batch, import_id=import_id))

    total = max(count_lines(path) - 1, 0)
    with path.open("rb") as stream:
        summary = run_import(
            _readable(read_rows(stream, columns=COLUMNS)),
            process,
            key=imports.member_key,
            workers=workers,
            report=report,
            total=total,
            progress=progress,
            on_rows=on_rows,
        )
    summary.extra["importId"] = import_id
    if not summary.interrupted:
        imports.complete_import(tenant_id, import_id, summary.counts())
    return summary


def _readable(rows: Iterator[Any]) -> Iterable[Any]:
    """The rows, read up to the first now: a file that is neither CSV nor JSON Lines is an operator error."""
    from tools.exits import Usage

    try:
        first = next(rows, None)
    except ValueError as error:
        raise Usage(f"the file can't be imported: {error}") from None
    return [] if first is None else itertools.chain([first], rows)


def skip_request_validation() -> None:
    """This operator process's DynamoDB client sends requests without botocore re-checking each parameter against
    the API model (the store builds every request; the check costs about a fifth of an import's CPU). Never in a
    Lambda: only `loyalty import` and its bench call this."""
    from botocore.validate import ParamValidationDecorator
    from loyalty.repository.client import client

    serializer = getattr(client, "_serializer", None)
    if isinstance(serializer, ParamValidationDecorator):
        client._serializer = serializer._serializer  # type: ignore[attr-defined]


def cmd_import_members(args: argparse.Namespace) -> None:
    from tools.cli import _print, _target
    from tools.exits import Usage

    path = Path(args.file)
    if not path.is_file():
        raise Usage(f"no such file: {path}")
    if args.workers < 1 or args.workers > 64:
        raise Usage("--workers takes 1 to 64")
    report = report_path(path, args.report)
    if _target() == "deployed":  # through the stack's import workflow (tools/imports_remote.py)
        from tools import imports_remote

        imports_remote.bucket_name()
        _print(imports_remote.run(path, args.tenant, {"kind": "members"}, report=report, progress=not args.quiet))
        return
    skip_request_validation()
    summary = import_members(path, args.tenant, workers=args.workers, report=report, progress=not args.quiet)
    _print(summary.as_json())
    if summary.interrupted:
        sys.exit(130)


def add_commands(commands: Any, target_help: str) -> argparse._SubParsersAction:
    """`loyalty import members` (and the `import` command's actions, which `loyalty import codes` joins)."""
    parser = commands.add_parser(
        "import",
        help="bulk import from a file (§14)",
        description="Import a CSV (with a header row) or JSON Lines file into a tenant, streamed, resumable.",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="action")
    members = actions.add_parser(
        "members",
        help="members with their point lots",
        description="Import members and their opening balances (columns: externalId, email, phone, cardId, "
        "firstName, lastName, birthdate, tags, tierOverride, lotId, points, earnedAt, expiresAt, qualifiedPoints). "
        "Rows are keyed by (first identifier, lotId): running the same file again changes nothing done; Ctrl-C "
        "stops cleanly. Rejected and conflicting rows go to FILE.report.csv; the summary is printed as JSON.",
        epilog=target_help,
    )
    members.add_argument("file", help="the CSV or JSON Lines file")
    members.add_argument("--tenant", required=True, help="the tenant to import into")
    members.add_argument("--workers", type=int, default=4, help="parallel writers (default 4)")
    members.add_argument("--report", help="the report file (default: FILE.report.csv next to the file)")
    members.add_argument("--quiet", action="store_true", help="no progress bar")
    members.set_defaults(run=cmd_import_members)
    return actions
