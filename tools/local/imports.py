"""The import workflow of `make serve`: the local counterpart of S3 → EventBridge → Step Functions (§14).

The local API takes the PUT of a presigned upload URL (tools/local/server.py), stores the file under
.local/blobs/ (repository/blobs.DirectoryBlobs) and hands its key to this worker, which runs the same steps the
state machine runs deployed — split, each chunk (a few at a time, as the Map's bounded concurrency), finish —
through services/import_jobs.run_locally, so `GET /imports/{importId}` shows the same progress and report.
"""

from __future__ import annotations

import queue
import sys
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from tools.local.background import Polling

CHUNK_WORKERS = 4  # chunks imported at once (deployed: the Distributed Map's MaxConcurrency)


class ImportWorker(Polling):
    name = "import-workflow"

    def __init__(self, serialised: AbstractContextManager[Any] | None = None) -> None:
        super().__init__()
        self.waiting: queue.Queue[str] = queue.Queue()
        # the embedded engine is not thread-safe: then an import runs alone, one chunk at a time
        self.serialised = serialised if serialised is not None else nullcontext()
        self.workers = CHUNK_WORKERS if serialised is None else 1
        self.finished = 0

    def submit(self, key: str) -> None:
        """An upload arrived at `key`: run its import (in the order uploads arrive)."""
        self.waiting.put(key)
        if self.thread is None:
            self.start()

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
        self.finished += 1
        return 1

    def idle(self) -> None:
        """poll() waits on the queue itself."""
