"""Deployed imports (§14): one item per import job and one marker per chunk counted, in the tenant's IMPORTS partition.

Partition `T#<t>#IMPORTS` (every key starts with the tenant) holds each job under its id (sk `imp_<ULID>`) and,
for each chunk the workflow has counted, a marker under `imp_<ULID>#C#<chunk, 6 digits>`. A chunk worker moves the
job's counters (rowsDone, rowsFailed and the summary's created/unchanged/conflicts/rejected) with ADD in the one
transaction that puts its chunk's marker on condition it is absent: a chunk retried by Step Functions (a timeout, a
throttle) writes its rows again idempotently but counts them once. The status moves only forward, each move on
condition of the status it leaves: awaiting_upload → running (the splitter) → completed | failed (the finish step).
"""

from __future__ import annotations

from typing import Any

from loyalty.repository import keys, store
from loyalty.repository.retry import ConditionFailed

ID_PREFIX = "imp_"
COUNTERS = ("rowsDone", "rowsFailed", "created", "unchanged", "conflicts", "rejected")


def partition(tenant_id: str) -> str:
    return f"{keys.tenant(tenant_id)}#IMPORTS"


def key(tenant_id: str, import_id: str) -> store.Key[dict[str, Any]]:
    return store.key(partition(tenant_id), import_id)


def chunk_key(tenant_id: str, import_id: str, chunk: int) -> store.Key[dict[str, Any]]:
    return store.key(partition(tenant_id), f"{import_id}#C#{chunk:06d}")


def create(tenant_id: str, job: dict[str, Any]) -> store.TxItem:
    """The new job (awaiting its upload), on condition its id is new."""
    return store.put_new({**key(tenant_id, job["importId"]), **job})


def get(tenant_id: str, import_id: str) -> dict[str, Any] | None:
    found = store.get(key(tenant_id, import_id))
    return store.plain(found) if found else None


def start(tenant_id: str, import_id: str, rows_total: int, chunks: int, started_at: str, upload: str = "") -> bool:
    """Mark the job running with its row and chunk counts and the version of the upload it runs on (on condition it
    awaits its upload, or already runs on that same version: an upload event delivered twice splits the same file
    to the same chunks); False once completed or failed, or running on another upload to the same URL."""
    return store.applied(
        store.update(
            key(tenant_id, import_id),
            set_values={
                "status": "running",
                "rowsTotal": rows_total,
                "chunks": chunks,
                "startedAt": started_at,
                "uploadVersion": upload,
            },
            condition="#s = :waiting OR (#s = :running AND #u = :upload)",
            names={"#s": "status", "#u": "uploadVersion"},
            values={":waiting": "awaiting_upload", ":running": "running", ":upload": upload},
        )
    )


def count_chunk(tenant_id: str, import_id: str, chunk: int, counts: dict[str, int]) -> bool:
    """Add one chunk's counts to the job, once: the chunk's marker is put in the same transaction on condition it is
    absent. False when the chunk was counted already (a retried chunk)."""
    try:
        store.transact(
            [
                store.put_new({**chunk_key(tenant_id, import_id, chunk), "counts": counts}),
                store.update(
                    key(tenant_id, import_id),
                    add={name: int(counts.get(name, 0)) for name in COUNTERS},
                    condition="attribute_exists(#p)",
                    names={"#p": "pk"},
                ),
            ]
        )
    except ConditionFailed:
        return False
    return True


def finish(tenant_id: str, import_id: str, changes: dict[str, Any]) -> bool:
    """Set the job's final status and what goes with it (report key, completedAt, error), on condition it is still
    running; False when another run of the finish step got there first."""
    return store.applied(
        store.update(
            key(tenant_id, import_id),
            set_values=changes,
            condition="#s = :running",
            names={"#s": "status"},
            values={":running": "running"},
        )
    )
