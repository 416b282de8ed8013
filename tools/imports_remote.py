"""`loyalty import members|codes` against a deployed stack: the file goes through the stack's import workflow (§14).

When the CLI targets a deployed table (TABLE_NAME, `tools.cli._target()` → "deployed"), importing row by row from
the operator's machine would be slow and long-running; instead the command does what `POST /imports` does (the
same service, `import_jobs.create_import`, with the operator's AWS credentials signing the URL), PUTs the file to
the presigned URL of the stack's `ImportBucket` (IMPORT_BUCKET, or the stack's `ImportBucket` output: LOYALTY_STACK
names the stack, `LoyaltyOffersApi` by default), which starts the Step Functions workflow, and follows the import
(`import_jobs.get_import`, read from the table) with a progress bar until it completes; then it saves the report
next to the file. Ctrl-C stops following, not the import: it runs on, and `GET /imports/{importId}` shows it.
"""

from __future__ import annotations

import os
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

POLL_SECONDS = 2.0
STACK_VARIABLE = "LOYALTY_STACK"


def bucket_name() -> str:
    """IMPORT_BUCKET, else the deployed stack's `ImportBucket` output (and IMPORT_BUCKET set to it)."""
    from loyalty.repository.blobs import BUCKET_VARIABLE

    from infra import config
    from tools.exits import Unreachable

    if os.environ.get(BUCKET_VARIABLE):
        return os.environ[BUCKET_VARIABLE]
    from loyalty.repository.client import aws_client

    stack = os.environ.get(STACK_VARIABLE) or config.STACK_ID
    try:
        (described,) = aws_client("cloudformation").describe_stacks(StackName=stack)["Stacks"]
    except Exception as error:
        raise Unreachable(
            f"can't read the outputs of stack {stack} (set {BUCKET_VARIABLE} or {STACK_VARIABLE}): {error}"
        ) from None
    outputs = {output["OutputKey"]: output["OutputValue"] for output in described.get("Outputs", [])}
    if "ImportBucket" not in outputs:
        raise Unreachable(f"stack {stack} has no ImportBucket output: deploy this version first")
    os.environ[BUCKET_VARIABLE] = outputs["ImportBucket"]
    return outputs["ImportBucket"]


class _Counting:
    """A file read for an upload, counting the bytes sent (the upload's progress)."""

    def __init__(self, stream: IO[bytes], on_bytes: Callable[[int], None]) -> None:
        self.stream, self.on_bytes = stream, on_bytes

    def read(self, size: int = -1) -> bytes:
        piece = self.stream.read(size)
        self.on_bytes(len(piece))
        return piece


def upload(url: str, path: Path, on_bytes: Callable[[int], None] = lambda n: None) -> int:
    """PUT the file to a presigned URL, streamed (never whole in memory); the HTTP status."""
    size = path.stat().st_size
    with path.open("rb") as stream:
        request = urllib.request.Request(
            url, data=_Counting(stream, on_bytes), method="PUT", headers={"Content-Length": str(size)}
        )
        with urllib.request.urlopen(request, timeout=300) as answer:
            return int(answer.status)


def run(
    path: Path,
    tenant_id: str,
    body: dict[str, Any],
    *,
    report: Path | None = None,
    progress: bool = True,
    poll_seconds: float = POLL_SECONDS,
    timeout_seconds: float | None = None,
) -> dict[str, Any]:
    """Start an import of `path` (`body` as POST /imports takes it), upload it, follow it; the summary."""
    from loyalty.caller import Caller
    from loyalty.models.import_jobs import ImportCreate
    from loyalty.models.types import checked
    from loyalty.repository import import_jobs as jobs_db
    from loyalty.services import import_jobs, tenants
    from tqdm import tqdm  # type: ignore[import-untyped]

    tenants.require_tenant(tenant_id)
    started = time.monotonic()
    caller = Caller(tenant_id=tenant_id, admin=True, principal="loyalty-cli")
    created = import_jobs.create_import(caller, checked(ImportCreate, body))
    import_id = created["importId"]
    sent = tqdm(
        total=path.stat().st_size, unit="B", unit_scale=True, desc="upload", disable=not progress, file=sys.stderr
    )
    status = upload(created["uploadUrl"], path, sent.update)
    sent.close()
    if status // 100 != 2:
        raise RuntimeError(f"the upload was refused: HTTP {status}")
    bar = tqdm(total=None, unit="row", desc=import_id, disable=not progress, dynamic_ncols=True, file=sys.stderr)
    summary: dict[str, Any] = {"importId": import_id}
    try:
        while True:
            job = import_jobs.get_import(tenant_id, import_id)
            if job["rowsTotal"] and bar.total != job["rowsTotal"]:
                bar.total = job["rowsTotal"]
                bar.refresh()
            bar.update(job["rowsDone"] - bar.n)
            if job["status"] in ("completed", "failed"):
                break
            if timeout_seconds is not None and time.monotonic() - started > timeout_seconds:
                raise TimeoutError(f"import {import_id} still {job['status']} after {timeout_seconds} s")
            time.sleep(poll_seconds)
    except KeyboardInterrupt:
        bar.close()
        return {**summary, "interrupted": True, "status": "running", "note": "the import runs on in the stack"}
    bar.close()
    stored = jobs_db.get(tenant_id, import_id) or {}
    summary |= {
        "status": job["status"],
        **{name: int(stored.get(name) or 0) for name in ("created", "unchanged", "conflicts", "rejected")},
        "rowsTotal": job["rowsTotal"],
        "rowsDone": job["rowsDone"],
        "rowsFailed": job["rowsFailed"],
        "seconds": round(time.monotonic() - started, 2),
        "report": None,
    }
    if job["status"] == "failed":
        summary["error"] = stored.get("error")
    if job["reportUrl"] and report is not None:
        with urllib.request.urlopen(job["reportUrl"], timeout=300) as answer, report.open("wb") as out:
            while piece := answer.read(1 << 20):
                out.write(piece)
        summary["report"] = str(report)
    return summary
