"""An import's report (§14): its rejected and conflicting rows as CSV, sorted by line, in bounded memory.

Rows finish out of order (the CLI's workers and the workflow's chunks run members' rows side by side), so the
report keeps them as they come, in runs of RUN_ROWS sorted in memory and spilled to temporary files, and writes
the file merged by line at the end: a report of a million rejected rows never holds more than RUN_ROWS of them.
`loyalty import` writes its FILE.report.csv with it, the workflow's finish step the report in the bucket.
"""

from __future__ import annotations

import csv
import heapq
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

REPORT_HEADER = ("line", "status", "field", "reason")
RUN_ROWS = 50_000

Entry = tuple[int, str, str, str]


class SortedReport:
    """Collect report rows in any order; `close()` writes them to `path` with a header, sorted by line."""

    def __init__(self, path: Path, run_rows: int = RUN_ROWS) -> None:
        self.path, self.run_rows = path, run_rows
        self.rows: list[Entry] = []
        self.runs: list[IO[str]] = []
        # opened now: a report that can't be written fails the import before its first row, not after its last
        self.out: IO[str] | None = path.open("w", newline="", encoding="utf-8")

    def add(self, line: int, status: str, field: str | None, reason: str | None) -> None:
        self.rows.append((line, status, field or "", reason or ""))
        if len(self.rows) >= self.run_rows:
            self._spill()

    def _spill(self) -> None:
        run = tempfile.TemporaryFile("w+", newline="", encoding="utf-8")
        csv.writer(run, lineterminator="\n").writerows(sorted(self.rows))
        run.seek(0)
        self.runs.append(run)
        self.rows = []

    def close(self) -> None:
        """Write the report (header, then every row by line) and drop the runs."""
        try:
            merged = heapq.merge(*(_entries(run) for run in self.runs), iter(sorted(self.rows)))
            if self.out is not None:
                writer = csv.writer(self.out, lineterminator="\n")
                writer.writerow(REPORT_HEADER)
                writer.writerows(merged)
        finally:
            if self.out is not None:
                self.out.close()
                self.out = None
            for run in self.runs:
                run.close()
            self.runs, self.rows = [], []


def _entries(run: IO[str]) -> Iterator[Entry]:
    for line, status, field, reason in csv.reader(run):
        yield int(line), status, field, reason
