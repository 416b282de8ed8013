"""`loyalty export members|transactions|vouchers` and `loyalty import codes` (contract §14).

Export: the rows of services/exports.py written as they come (CSV with a header row, or JSON Lines), to stdout or
to `-o FILE`; never the whole file in memory. A file is written as `FILE.partial` and renamed when complete, so an
interrupted export (Ctrl-C) leaves no file that looks whole. A members export is a file `loyalty import members`
reads back: CSV cells are the import's text forms (tags `;`-separated, numbers in digits, no value an empty cell),
JSON Lines rows leave out what has no value.

Import codes: a file of codes (column `code`) into one pool, through services/code_imports.py, run by the member
import's runner (tools/imports_cli.run_import: streamed rows with line numbers, bounded workers, progress bar,
Ctrl-C, report file); each code goes to the worker of its pool shard.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

KINDS = ("members", "transactions", "vouchers")
FORMATS = ("csv", "jsonl")
TARGETS = ("reward", "offer", "promo")
# Codes per call of import_code_rows: one read of the target, its codes' known items in BatchGetItems, then
# transactions of as many codes as fit (pools.CodePool.add_codes), and one stock read.
CODE_BATCH = 400


# --- export -------------------------------------------------------------------------------------------


def cell(value: Any) -> str:
    """A value as a CSV cell in the import's text forms."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    return str(value)


def _field(row: Mapping[str, Any], column: str) -> Any:
    """A column's value; `parent.field` reads a nested object's field."""
    if column in row:
        return row[column]
    parent, _, name = column.partition(".")
    inner = row.get(parent)
    return inner.get(name) if isinstance(inner, Mapping) else None


def lines(kind: str, rows: Iterable[Mapping[str, Any]], fmt: str) -> Iterator[str]:
    """The export's text, line after line (a CSV header first)."""
    from loyalty.services import exports

    if fmt == "csv":
        columns = exports.columns(kind)
        buffer = _Line()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        yield buffer.take()
        for row in rows:
            writer.writerow([cell(_field(row, column)) for column in columns])
            yield buffer.take()
        return
    for row in rows:
        if kind == "members":  # only what the row has: the import reads a missing key as no value
            row = {name: value for name, value in row.items() if value is not None and value != []}
        yield json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n"


class _Line:
    """A one-line text buffer for csv.writer (each row is taken as soon as it is written)."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def take(self) -> str:
        text, self.parts = "".join(self.parts), []
        return text


def rows_of(kind: str, tenant_id: str, from_: str | None, to: str | None) -> Generator[dict[str, Any], None, None]:
    from loyalty.services import exports

    exports.time_range(from_, to)  # a bad bound is refused now, not at the first row
    run = {
        "members": exports.export_members,
        "transactions": exports.export_transactions,
        "vouchers": exports.export_vouchers,
    }[kind]
    return run(tenant_id, from_=from_, to=to)


def export(
    kind: str,
    tenant_id: str,
    *,
    fmt: str = "csv",
    output: Path | None = None,
    from_: str | None = None,
    to: str | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Write an export to `output` (or stdout); its summary: rows, seconds, rowsPerSecond, file, interrupted."""
    from loyalty.services import tenants
    from tqdm import tqdm  # type: ignore[import-untyped]

    tenants.require_tenant(tenant_id)
    rows = rows_of(kind, tenant_id, from_, to)
    partial = output.with_name(output.name + ".partial") if output else None
    target: IO[str] = partial.open("w", encoding="utf-8", newline="") if partial else sys.stdout
    started, count, interrupted = time.monotonic(), 0, False
    bar = tqdm(unit="row", disable=not progress, dynamic_ncols=True, smoothing=0.1, file=sys.stderr)
    try:
        for count, text in enumerate(lines(kind, rows, fmt), start=0 if fmt == "csv" else 1):
            target.write(text)
            if count % 500 == 0:
                bar.update(count - bar.n)
        bar.update(count - bar.n)
    except KeyboardInterrupt:
        interrupted = True
    except BaseException:
        if partial:
            target.close()
            partial.unlink(missing_ok=True)
        raise
    finally:
        rows.close()  # stops the export's workers
        bar.close()
        if partial:
            target.close()
        else:
            target.flush()
    if partial and output:
        if interrupted:
            partial.unlink(missing_ok=True)
        else:
            os.replace(partial, output)
    seconds = time.monotonic() - started
    return {
        "kind": kind,
        "rows": count,
        "seconds": round(seconds, 2),
        "rowsPerSecond": round(count / seconds, 1) if seconds else 0.0,
        "file": str(output) if output and not interrupted else None,
        "interrupted": interrupted,
    }


def cmd_export(args: argparse.Namespace) -> None:
    from tools.cli import _target
    from tools.exits import Usage

    if args.output and Path(args.output).is_dir():
        raise Usage(f"-o names a directory: {args.output}")
    _target()
    output = Path(args.output) if args.output else None
    shown = not args.quiet and (output is not None or sys.stderr.isatty())
    summary = export(
        args.kind, args.tenant, fmt=args.format, output=output, from_=args.from_, to=args.to, progress=shown
    )
    print(json.dumps(summary), file=sys.stdout if output else sys.stderr)
    if summary["interrupted"]:
        sys.exit(130)


# --- import codes --------------------------------------------------------------------------------------


def import_codes(
    path: Path,
    tenant_id: str,
    target: tuple[Any, str],
    *,
    workers: int = 4,
    report: Path | None = None,
    progress: bool = True,
) -> Any:
    """Load a code file into the target's pool; the runner's summary, with the pool's stock after it."""
    from loyalty.services import code_imports, tenants
    from loyalty.services.import_files import read_rows

    from tools.imports_cli import Row, count_lines, run_import

    tenants.require_tenant(tenant_id)
    pool = code_imports.target_pool(tenant_id, target)  # 404 / 409 before reading the file

    def process(batch: Sequence[Row]) -> list[Any]:
        return list(code_imports.import_code_rows(tenant_id, target, batch))

    with path.open("rb") as stream:
        summary = run_import(
            _first_read(read_rows(stream, columns=code_imports.COLUMNS)),
            process,
            key=code_imports.shard_key(pool),
            workers=workers,
            report=report,
            total=max(count_lines(path) - 1, 0),
            progress=progress,
            batch_rows=CODE_BATCH,
        )
    summary.extra["target"] = {"kind": target[0], "id": target[1]}
    summary.extra["pool"] = pool.read_stock()
    return summary


def _first_read(rows: Iterator[Any]) -> Iterable[Any]:
    """The rows, the first read now: a file that is neither CSV nor JSON Lines (or names other columns) is an
    operator error, before any row is processed."""
    import itertools

    from tools.exits import Usage

    try:
        first = next(rows, None)
    except ValueError as error:
        raise Usage(f"the file can't be imported: {error}") from None
    return [] if first is None else itertools.chain([first], rows)


def cmd_import_codes(args: argparse.Namespace) -> None:
    from tools.cli import _print, _target
    from tools.exits import Usage
    from tools.imports_cli import report_path

    path = Path(args.file)
    if not path.is_file():
        raise Usage(f"no such file: {path}")
    if not 1 <= args.workers <= 64:
        raise Usage("--workers takes 1 to 64")
    kind = next(name for name in TARGETS if getattr(args, name))
    if _target() == "deployed":  # through the stack's import workflow (tools/imports_remote.py)
        from tools import imports_remote

        imports_remote.bucket_name()
        body = {"kind": "codes", f"{kind}Id": getattr(args, kind)}
        _print(
            imports_remote.run(path, args.tenant, body, report=report_path(path, args.report), progress=not args.quiet)
        )
        return
    summary = import_codes(
        path,
        args.tenant,
        (kind, getattr(args, kind)),
        workers=args.workers,
        report=report_path(path, args.report),
        progress=not args.quiet,
    )
    _print(summary.as_json())
    if summary.interrupted:
        sys.exit(130)


# --- the commands ----------------------------------------------------------------------------------------


def add_export_command(commands: Any, target_help: str) -> None:
    """`loyalty export members|transactions|vouchers`."""
    parser = commands.add_parser(
        "export",
        help="export a tenant's members, transactions or vouchers to CSV or JSON Lines (§14)",
        description="Write a tenant's members (in the import format, with their unspent point lots: `loyalty "
        "import members` reads it back), transactions or vouchers, streamed, oldest first. It walks the tenant's own "
        "lists (a worker per shard), never the table. --from/--to (ISO-8601 times, both included) bound the "
        "members' enrolment, the transactions' createdAt, the vouchers' acquiredAt. The summary (rows, rows/s) is "
        "printed as JSON: on stdout with -o, else on stderr.",
        epilog=target_help,
    )
    parser.add_argument("kind", choices=KINDS, help="what to export")
    parser.add_argument("--tenant", required=True, help="the tenant to export")
    parser.add_argument("--from", dest="from_", metavar="FROM", help="from this time (ISO-8601, included)")
    parser.add_argument("--to", help="to this time (ISO-8601, included)")
    parser.add_argument("--format", choices=FORMATS, default="csv", help="csv (with a header row) or jsonl")
    parser.add_argument("-o", "--output", help="the file to write (default: stdout); written whole or not at all")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(run=cmd_export)


def add_import_codes(actions: Any, target_help: str) -> None:
    """`loyalty import codes` among the `import` command's actions (tools/imports_cli.add_commands)."""
    parser = actions.add_parser(
        "codes",
        help="coupon, voucher or promo codes into a code pool",
        description='Load a file of codes (CSV with a `code` column, or JSON Lines {"code": ...}) into a coupon '
        "reward's pool, an offer's voucher-code pool or a single-use promo code's pool, as the API's code uploads "
        "do: a code already in the pool is unchanged (the same file again adds 0), one another pool of the "
        "tenant holds is a conflict, a code the upload route refuses is rejected. Conflicting and rejected rows "
        "go to FILE.report.csv; the summary and the pool's counts are printed as JSON.",
        epilog=target_help,
    )
    parser.add_argument("file", help="the CSV or JSON Lines file")
    parser.add_argument("--tenant", required=True, help="the tenant")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--reward", metavar="REWARD_ID", help="a coupon reward's pool")
    target.add_argument("--offer", metavar="OFFER_ID", help="an offer's voucher-code pool")
    target.add_argument("--promo", metavar="CODE", help="a single-use promo code's pool")
    parser.add_argument("--workers", type=int, default=4, help="parallel writers (default 4)")
    parser.add_argument("--report", help="the report file (default: FILE.report.csv next to the file)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(run=cmd_import_codes)
