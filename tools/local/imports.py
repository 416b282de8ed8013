"""The import workflow of `make serve`: the local counterpart of S3 → EventBridge → Step Functions (§14).

The local API takes the PUT of a presigned upload URL (tools/local/server.py), stores the file under
.local/blobs/ (repository/blobs.DirectoryBlobs) and hands its key to this worker, which runs the same steps the
state machine runs deployed — split, each chunk (a few at a time, as the Map's bounded concurrency), finish —
through services/import_jobs.run_locally, so `GET /imports/{importId}` shows the same progress and report.

Deployed, a run outlives anything that stops (the state machine holds it); here it would die with the server. So
each upload taken is remembered in a file under `pending` until its run has ended, and a server that starts runs
again those a stopped or killed one left (`resume`): the split and the chunks are idempotent and a chunk counts
once, so the import ends as if nothing had stopped it instead of staying `running` for good.
"""

from __future__ import annotations

import hashlib
import queue
import sys
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from tools.local.background import Polling

CHUNK_WORKERS = 4  # chunks imported at once (deployed: the Distributed Map's MaxConcurrency)


class ImportWorker(Polling):
    name = "import-workflow"

    def __init__(self, serialised: AbstractContextManager[Any] | None = None, pending: Path | None = None) -> None:
        super().__init__()
        self.waiting: queue.Queue[str] = queue.Queue()
        self.pending = pending  # where the uploads taken and not yet run to their end are remembered
        # the embedded engine is not thread-safe: then an import runs alone, one chunk at a time
        self.serialised = serialised if serialised is not None else nullcontext()
        self.workers = CHUNK_WORKERS if serialised is None else 1
        self.finished = 0

    def submit(self, key: str) -> None:
        """An upload arrived at `key`: run its import (in the order uploads arrive)."""
        self.remember(key)
        self.waiting.put(key)
        if self.thread is None:
            self.start()

    def _marker(self, key: str) -> Path | None:
        return None if self.pending is None else self.pending / hashlib.sha256(key.encode()).hexdigest()

    def remember(self, key: str) -> None:
        """Note that the upload at `key` is to be run, until its run ends (`forget`)."""
        marker = self._marker(key)
        if marker is not None:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(key)

    def forget(self, key: str) -> None:
        marker = self._marker(key)
        if marker is not None:
            marker.unlink(missing_ok=True)

    def resume(self) -> int:
        """Run again the uploads an earlier server took and did not run to their end (stopped or killed mid-import),
        in the order they came; how many."""
        if self.pending is None or not self.pending.is_dir():
            return 0
        markers = sorted(self.pending.iterdir(), key=lambda marker: marker.stat().st_mtime_ns)
        for marker in markers:
            self.submit(marker.read_text())
        return len(markers)

    def poll(self) -> int:
        from loyalty.services import import_jobs

        try:
            key = self.waiting.get(timeout=0.2)
        except queue.Empty:
            return 0
        try:
            with self.serialised:
                import_jobs.run_locally(key, workers=self.workers)
        except Exception as error:  # the job stays as it was left; a new upload of the file runs it again
            print(f"import {key}: {type(error).__name__}: {error}", file=sys.stderr)
        if not self.stopping.is_set():  # a run cut short by the server stopping is resumed by its next start
            self.forget(key)
        self.finished += 1
        return 1

    def idle(self) -> None:
        """poll() waits on the queue itself."""
