"""The import report: rows given in any order come out sorted by line, whatever the number of spilled runs."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest
from loyalty.services.import_report import REPORT_HEADER, SortedReport


@pytest.mark.parametrize(("rows", "run_rows"), [(0, 5), (3, 5), (5, 5), (97, 5), (1000, 64), (200, 1000)])
def test_rows_come_out_sorted_by_line(tmp_path: Path, rows: int, run_rows: int) -> None:
    lines = list(range(2, rows + 2))
    random.Random(rows).shuffle(lines)
    report = SortedReport(tmp_path / "report.csv", run_rows=run_rows)
    for line in lines:
        report.add(line, "rejected" if line % 3 else "conflict", "email" if line % 2 else None, f"reason, {line}")
    report.close()
    with (tmp_path / "report.csv").open(newline="", encoding="utf-8") as written:
        header, *body = list(csv.reader(written))
    assert tuple(header) == REPORT_HEADER
    assert [int(row[0]) for row in body] == sorted(lines)
    for line, status, field, reason in body:  # each row whole, its comma-holding reason quoted and back
        assert status == ("rejected" if int(line) % 3 else "conflict")
        assert field == ("email" if int(line) % 2 else "")
        assert reason == f"reason, {line}"
    assert report.runs == [] and report.rows == []


def test_spilled_runs_hold_no_more_than_a_run_in_memory(tmp_path: Path) -> None:
    report = SortedReport(tmp_path / "report.csv", run_rows=10)
    for line in range(105, 0, -1):
        report.add(line, "rejected", "points", "must be a whole number")
        assert len(report.rows) < 10
    assert len(report.runs) == 10
    report.close()
    assert [row.split(",")[0] for row in (tmp_path / "report.csv").read_text().splitlines()[1:]] == [
        str(n) for n in range(1, 106)
    ]
