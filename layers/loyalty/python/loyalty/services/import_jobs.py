"""Deployed bulk imports (§14): `POST /imports`, `GET /imports/{importId}` and the workflow's three steps.

The upload of `uploads/<tenant>/<importId>` starts the run (deployed: S3 → EventBridge → Step Functions,
infra/constructs/imports.py; locally: the local API's upload route → tools/local/imports.py), which is
`split` → `import_chunk` for each chunk (a Distributed Map, bounded concurrency, retried per chunk) → `finish`.
Each step is a function of this module; the rows themselves go through the one row-processing path
(services/imports.import_member_rows, services/code_imports.import_code_rows) that the local CLI uses too.

Split streams the upload through import_files.read_rows (never whole in memory) into chunks of JSON Lines, each
line `{"line": n, "row": {...}}` or `{"line": n, "field": f, "reason": r}` for a row that cannot be read. A
member's rows must be imported in file order by one worker, so a members row goes to the chunk picked by a hash of
its `member_key`: every row of a member lands in the same chunk, in file order. The number of chunks is fixed
from the upload's size (CHUNK_BYTES of file a chunk, ~1,000 rows), so a chunk is a bounded unit of work for one
invocation; a Map item is a chunk's reference (its number and key, ~100 bytes), never its rows (items are capped
at 256 KiB). The manifest (a JSON array of those references) is what the Distributed Map reads.

A chunk worker imports its rows, writes its rejected and conflicting rows as a report part and moves the job's
counters once per chunk (repository/import_jobs.count_chunk). Finish merges the parts into the report
(`reports/<tenant>/<importId>.csv`: line, status, field, reason, by line), sets the status and calls
imports.complete_import, which emits the one `import.completed`.
"""

from __future__ import annotations

import json
import math
import random
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

from loyalty import clock, ids
from loyalty.caller import Caller
from loyalty.errors import ApiError, NotFound, Throttled, Unavailable, ValidationFailed
from loyalty.models.import_jobs import ImportCreate
from loyalty.operation import Operation, run
from loyalty.repository import import_jobs as jobs_db
from loyalty.repository.blobs import blobs
from loyalty.services.import_report import SortedReport

UPLOAD_URL_SECONDS = 15 * 60
REPORT_URL_SECONDS = 60 * 60
CHUNK_BYTES = 128 * 1024  # of the upload a chunk: ~1,000 members rows of ~130 bytes (docs/deploy.md)
MAX_CHUNKS = 5_000  # 640 MB of upload at CHUNK_BYTES; a larger file makes larger chunks, never more
CHUNK_THREADS = 8  # rows of different members written at once by one chunk worker
SPILL_BYTES = 64 * 1024  # a chunk's lines are kept in memory up to this, then appended to its temporary file
TARGETS = {"rewardId": "reward", "offerId": "offer", "promoId": "promo"}
LOCAL_CHUNK_ATTEMPTS = 8  # run_locally: a chunk the store throttled or could not answer is run again, with backoff
LOCAL_RETRY_SECONDS, LOCAL_RETRY_CAP_SECONDS = 0.5, 15.0


def upload_key(tenant_id: str, import_id: str) -> str:
    return f"uploads/{tenant_id}/{import_id}"


def chunk_prefix(tenant_id: str, import_id: str, version: str) -> str:
    """Where the chunks of one version of an upload go: two uploads to one URL (each starts a split) never write
    over each other's chunks or manifest, and the split that starts the import runs on its own file alone."""
    return f"chunks/{tenant_id}/{import_id}/{version}/"


def manifest_key(tenant_id: str, import_id: str, version: str) -> str:
    return f"{chunk_prefix(tenant_id, import_id, version)}manifest.json"


def part_key(tenant_id: str, import_id: str, chunk: int) -> str:
    return f"reports/{tenant_id}/{import_id}/parts/{chunk:05d}.jsonl"


def report_key(tenant_id: str, import_id: str) -> str:
    return f"reports/{tenant_id}/{import_id}.csv"


def parse_upload_key(key: str) -> tuple[str, str]:
    """(tenant, importId) of an upload's key; ValueError for any other key."""
    parts = key.split("/")
    if len(parts) != 3 or parts[0] != "uploads" or not parts[2].startswith(jobs_db.ID_PREFIX):
        raise ValueError(f"not an import upload: {key!r}")
    return parts[1], parts[2]


# --- the two routes -------------------------------------------------------------------------------------------


def _target(body: ImportCreate) -> dict[str, str] | None:
    given = {name: value for name, value in body.given().items() if name in TARGETS and value is not None}
    if body.kind == "members":
        if given:
            raise ValidationFailed(
                details=[{"field": name, "message": "a members import takes no code pool"} for name in given]
            )
        return None
    if len(given) != 1:
        raise ValidationFailed(
            details=[{"field": "rewardId", "message": "a codes import names exactly one of rewardId, offerId, promoId"}]
        )
    ((name, value),) = given.items()
    return {"kind": TARGETS[name], "id": value}


def create_import(caller: Caller, body: ImportCreate) -> dict[str, Any]:
    """A new import awaiting its file: its id and a presigned PUT URL (201). The upload starts the run."""
    target = _target(body)
    tenant_id = caller.tenant_id
    if target is not None:  # a pool that takes no codes is refused now (404 / 409 invalid_state), as its route does
        from loyalty.services.code_imports import target_pool

        target_pool(tenant_id, cast("Any", (target["kind"], target["id"])))

    def attempt(operation: Operation) -> dict[str, Any]:
        now = clock.now()
        import_id = jobs_db.ID_PREFIX + ids.ulid(now)
        job = {
            "importId": import_id,
            "kind": body.kind,
            "target": target,
            "status": "awaiting_upload",
            "rowsTotal": 0,
            "createdAt": clock.iso(now),
            "completedAt": None,
            "reportKey": None,
            **dict.fromkeys(jobs_db.COUNTERS, 0),
        }
        answer = {
            "importId": import_id,
            "uploadUrl": blobs().upload_url(upload_key(tenant_id, import_id), UPLOAD_URL_SECONDS),
            "uploadExpiresAt": clock.iso(now + timedelta(seconds=UPLOAD_URL_SECONDS)),
            "status": "awaiting_upload",
        }
        return operation.commit([jobs_db.create(tenant_id, job)], answer)

    return run(caller, attempt)


def public(job: Mapping[str, Any]) -> dict[str, Any]:
    report = job.get("reportKey")
    return {
        "importId": job["importId"],
        "kind": job["kind"],
        "status": job["status"],
        "rowsTotal": int(job.get("rowsTotal") or 0),
        "rowsDone": int(job.get("rowsDone") or 0),
        "rowsFailed": int(job.get("rowsFailed") or 0),
        "reportUrl": blobs().download_url(report, REPORT_URL_SECONDS)
        if report and job["status"] == "completed"
        else None,
        "createdAt": job["createdAt"],
        "completedAt": job.get("completedAt"),
        "error": job.get("failure") if job["status"] == "failed" else None,
    }


def get_import(tenant_id: str, import_id: str) -> dict[str, Any]:
    """The import's status and counts; 404 for an id of no import of this tenant."""
    job = jobs_db.get(tenant_id, import_id) if import_id.startswith(jobs_db.ID_PREFIX) else None
    if job is None:
        raise NotFound("The import does not exist.")
    return public(job)


# --- the workflow: split → chunks → finish --------------------------------------------------------------------


def _chunk_count(size: int) -> int:
    return max(1, min(MAX_CHUNKS, math.ceil(size / CHUNK_BYTES)))


class _Chunks:
    """Lines appended to `count` chunks, kept in memory up to SPILL_BYTES each, then in temporary files."""

    def __init__(self, count: int, folder: Path) -> None:
        self.folder = folder
        self.waiting: list[list[bytes]] = [[] for _ in range(count)]
        self.sizes = [0] * count
        self.spilled = [False] * count
        self.lines = [0] * count

    def add(self, chunk: int, line: bytes) -> None:
        self.waiting[chunk].append(line)
        self.sizes[chunk] += len(line)
        self.lines[chunk] += 1
        if self.sizes[chunk] >= SPILL_BYTES:
            self._spill(chunk)

    def _spill(self, chunk: int) -> None:
        with (self.folder / f"{chunk}.jsonl").open("ab") as out:
            out.writelines(self.waiting[chunk])
        self.waiting[chunk], self.sizes[chunk], self.spilled[chunk] = [], 0, True

    def body(self, chunk: int) -> Path | bytes:
        if self.spilled[chunk]:
            self._spill(chunk)
            return self.folder / f"{chunk}.jsonl"
        return b"".join(self.waiting[chunk])


def _route(tenant_id: str, job: Mapping[str, Any]) -> Callable[[int, Mapping[str, Any]], str]:
    """What keeps rows together in one chunk: a member's first identifier (its rows in file order, on one worker);
    a code's shard of its pool (chunks of disjoint shards write disjoint stock counters: no contention)."""
    if job["kind"] != "members":
        from loyalty.services.code_imports import shard_key, target_pool

        target = job["target"]
        shard = shard_key(target_pool(tenant_id, cast("Any", (target["kind"], target["id"]))))
        return lambda line, row: shard(row)
    return _member_of


def _member_of(line: int, row: Mapping[str, Any]) -> str:
    """A members row's routing key: its first identifier; a row with none (rejected wherever it lands) its line."""
    from loyalty.services.imports import member_key

    try:
        return member_key(row) or str(line)
    except Exception:
        return str(line)


def _columns(kind: str) -> tuple[str, ...]:
    if kind != "members":
        from loyalty.services.code_imports import COLUMNS as CODE_COLUMNS

        return CODE_COLUMNS
    from loyalty.models.imports import COLUMNS

    return COLUMNS


def split(key: str) -> dict[str, Any]:
    """Split the upload at `key` into chunks and their manifest; what the Map needs (`skip` when the import is over).

    The upload is read as one version (`Blobs.snapshot`) whose chunks go under that version's own prefix: a second
    upload to the same URL starts a second split, and the first of the two to start the import (a conditional
    write) runs on its own chunks, the other's are left to the bucket's lifecycle rule. A split run again for the
    same version writes the same chunks again and starts nothing. An unreadable file (neither CSV nor JSON Lines)
    is not an error of the workflow: the job fails with the reason.
    """
    from loyalty.services.import_files import RowError, read_rows

    tenant_id, import_id = parse_upload_key(key)
    job = jobs_db.get(tenant_id, import_id)
    answer: dict[str, Any] = {"tenantId": tenant_id, "importId": import_id, "chunks": 0, "skip": True}
    if job is None or job["status"] in ("completed", "failed"):
        return answer  # an upload to an unknown id, or again after the import ended: ignored
    store = blobs()
    try:
        route = _route(tenant_id, job)
    except ApiError as refused:  # the pool was deleted or archived since: nothing can be imported
        jobs_db.start(tenant_id, import_id, 0, 0, clock.iso(clock.now()))
        _fail(tenant_id, import_id, refused.message, refused.message)
        return answer
    rows_total = 0
    version, size, upload = store.snapshot(key)
    manifest_at = manifest_key(tenant_id, import_id, version)
    with tempfile.TemporaryDirectory(prefix="import-") as folder, upload as stream:
        count = _chunk_count(size)
        chunks = _Chunks(count, Path(folder))
        try:
            for line, row in read_rows(cast("Any", stream), columns=_columns(str(job["kind"]))):
                rows_total += 1
                if isinstance(row, RowError):
                    record: dict[str, Any] = {"line": line, "field": row.field, "reason": row.reason}
                    chunk = line % count
                else:
                    record = {"line": line, "row": row}
                    chunk = zlib.crc32(route(line, row).encode()) % count
                chunks.add(chunk, json.dumps(record, separators=(",", ":"), default=str).encode() + b"\n")
        except ValueError as unreadable:
            jobs_db.start(tenant_id, import_id, 0, 0, clock.iso(clock.now()), version)
            _fail(tenant_id, import_id, str(unreadable), f"The file can't be imported: {unreadable}.")
            return answer
        manifest: list[dict[str, Any]] = []
        for chunk in range(count):
            if not chunks.lines[chunk]:
                continue
            number = len(manifest)
            chunk_key = f"{chunk_prefix(tenant_id, import_id, version)}{number:05d}.jsonl"
            body = chunks.body(chunk)
            if isinstance(body, Path):
                store.put_file(chunk_key, body, "application/x-ndjson")
            else:
                store.put(chunk_key, body, "application/x-ndjson")
            manifest.append({"chunk": number, "key": chunk_key, "rows": chunks.lines[chunk]})
    store.put(manifest_at, json.dumps(manifest).encode(), "application/json")
    if not jobs_db.start(tenant_id, import_id, rows_total, len(manifest), clock.iso(clock.now()), version):
        return answer
    return {**answer, "chunks": len(manifest), "manifestKey": manifest_at, "skip": False}


def _json_lines(key: str) -> Iterator[dict[str, Any]]:
    """The records of a JSON Lines blob (a chunk or a report part), streamed."""
    with blobs().open(key) as stream:
        for raw in stream:
            if raw.strip():
                yield json.loads(raw)


def import_chunk(tenant_id: str, import_id: str, chunk: int, key: str) -> dict[str, int]:
    """Import one chunk's rows through the row-processing path, write its report part, count it once."""
    from loyalty.services.imports import RowOutcome

    job = jobs_db.get(tenant_id, import_id)
    if job is None:
        raise NotFound(f"The import {import_id} does not exist.")
    rows: list[tuple[int, Mapping[str, Any]]] = []
    outcomes: list[Any] = []
    for record in _json_lines(key):
        if "row" in record:
            rows.append((int(record["line"]), record["row"]))
        else:
            outcomes.append(RowOutcome(int(record["line"]), "rejected", record.get("field"), record.get("reason")))
    outcomes += _import_rows(tenant_id, import_id, job, rows)
    counts = {
        "rowsDone": len(outcomes),
        "created": sum(1 for o in outcomes if o.status == "created"),
        "unchanged": sum(1 for o in outcomes if o.status == "unchanged"),
        "conflicts": sum(1 for o in outcomes if o.status == "conflict"),
        "rejected": sum(1 for o in outcomes if o.status == "rejected"),
    }
    counts["rowsFailed"] = counts["conflicts"] + counts["rejected"]
    failed = sorted((o for o in outcomes if o.status in ("conflict", "rejected")), key=lambda o: o.line)
    part = b"".join(
        json.dumps({"line": o.line, "status": o.status, "field": o.field, "reason": o.reason}).encode() + b"\n"
        for o in failed
    )
    blobs().put(part_key(tenant_id, import_id, chunk), part, "application/x-ndjson")  # also empty: finish reads each
    jobs_db.count_chunk(tenant_id, import_id, chunk, counts)
    return counts


def _import_rows(
    tenant_id: str, import_id: str, job: Mapping[str, Any], rows: Sequence[tuple[int, Mapping[str, Any]]]
) -> list[Any]:
    if not rows:
        return []
    if job["kind"] == "members":
        return _member_rows_in_threads(tenant_id, import_id, rows)
    from loyalty.services.code_imports import import_code_rows

    target = job["target"]
    return list(import_code_rows(tenant_id, cast("Any", (target["kind"], target["id"])), rows))


def _member_rows_in_threads(tenant_id: str, import_id: str, rows: Sequence[tuple[int, Mapping[str, Any]]]) -> list[Any]:
    """The chunk's members on CHUNK_THREADS threads: each member's rows, in file order, on one thread (a row's
    transaction waits on DynamoDB, so threads multiply a worker's rows/s; docs/deploy.md)."""
    from concurrent.futures import ThreadPoolExecutor

    from loyalty.services.imports import import_member_rows

    groups: dict[str, list[tuple[int, Mapping[str, Any]]]] = {}
    for line, row in rows:
        groups.setdefault(_member_of(line, row), []).append((line, row))
    lanes: list[list[tuple[int, Mapping[str, Any]]]] = [[] for _ in range(min(CHUNK_THREADS, len(groups)))]
    for index, group in enumerate(groups.values()):
        lanes[index % len(lanes)].extend(group)
    if len(lanes) == 1:
        return list(import_member_rows(tenant_id, lanes[0], import_id=import_id))
    with ThreadPoolExecutor(max_workers=len(lanes), thread_name_prefix="import-rows") as pool:
        done = pool.map(lambda lane: import_member_rows(tenant_id, lane, import_id=import_id), lanes)
        return [outcome for outcomes in done for outcome in outcomes]


def finish(tenant_id: str, import_id: str, chunks: int, error: str | None = None) -> dict[str, Any]:
    """Merge the report parts into the report, set the final status, emit `import.completed` (once)."""
    if error is not None:
        _fail(tenant_id, import_id, error)
        return {"status": "failed"}
    store = blobs()
    failed = 0
    with tempfile.TemporaryDirectory(prefix="import-report-") as folder:
        report = SortedReport(Path(folder) / "report.csv")  # a part at a time, at most RUN_ROWS rows in memory
        for chunk in range(chunks):
            for row in _json_lines(part_key(tenant_id, import_id, chunk)):
                report.add(int(row["line"]), row["status"], row["field"], row["reason"])
                failed += 1
        report.close()
        store.put_file(report_key(tenant_id, import_id), report.path, "text/csv")
    changes = {
        "status": "completed",
        "completedAt": clock.iso(clock.now()),
        "reportKey": report_key(tenant_id, import_id),
    }
    jobs_db.finish(tenant_id, import_id, changes)
    job = jobs_db.get(tenant_id, import_id) or {}
    if job.get("status") == "completed":
        # Stored by whichever run of this step gets here, not only the one that set `completed`: a run that
        # crashed in between is run again, and finds the import completed. `complete_import` stores it once.
        from loyalty.services.imports import complete_import

        summary = {
            name: int(job.get(name) or 0) for name in ("created", "unchanged", "conflicts", "rejected", "rowsTotal")
        }
        complete_import(tenant_id, import_id, summary)
    return {"status": "completed", "rowsFailed": failed}


RUN_FAILED = (
    "The import could not be run to its end; start a new import of the same file (rows already imported are found "
    "unchanged)."
)


def _fail(tenant_id: str, import_id: str, reason: str, public: str | None = None) -> None:
    """Mark the import failed: `reason` for the operator (the workflow's error), `public` what GET shows the client:
    the file's or the pool's fault when it is one, else that the run failed (never the internal error)."""
    changes = {"status": "failed", "completedAt": clock.iso(clock.now()), "error": reason[:1000]}
    jobs_db.finish(tenant_id, import_id, {**changes, "failure": (public or RUN_FAILED)[:1000]})


def _chunk_with_retries(tenant_id: str, import_id: str, item: Mapping[str, Any]) -> dict[str, int]:
    """One chunk, run again with backoff and full jitter while the store is throttled, busy or unreachable, as the
    state machine retries it (infra/constructs/imports.py: THROTTLING_ERRORS); a chunk is idempotent and counted
    once, so running it again is safe. Locally the delays are seconds, not minutes."""
    for attempt in range(LOCAL_CHUNK_ATTEMPTS):
        try:
            return import_chunk(tenant_id, import_id, item["chunk"], item["key"])
        except (Throttled, Unavailable):  # Unavailable covers the store's Contention
            if attempt == LOCAL_CHUNK_ATTEMPTS - 1:
                raise
        time.sleep(random.uniform(0, min(LOCAL_RETRY_CAP_SECONDS, LOCAL_RETRY_SECONDS * 2**attempt)))
    raise AssertionError("unreachable")


def run_locally(key: str, workers: int = 4) -> dict[str, Any]:
    """The whole workflow in this process, as the Step Functions state machine runs it (the local stand-in)."""
    from concurrent.futures import ThreadPoolExecutor

    split_answer = split(key)
    if split_answer["skip"]:
        return split_answer
    tenant_id, import_id = split_answer["tenantId"], split_answer["importId"]
    manifest = json.loads(blobs().get(split_answer["manifestKey"]))
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="import-chunk") as pool:
            list(pool.map(lambda item: _chunk_with_retries(tenant_id, import_id, item), manifest))
    except Exception as error:
        return finish(tenant_id, import_id, len(manifest), f"{type(error).__name__}: {error}")
    return finish(tenant_id, import_id, len(manifest))
