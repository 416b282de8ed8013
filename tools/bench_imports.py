"""Bench: `loyalty import members` of BENCH_IMPORT_ROWS rows (default 100,000) with opening balances on DynamoDB
Local — rows/s, and this process's RSS at 10k rows and at the end (memory must stay flat: the file is streamed).

    python -m tools.bench_imports            # BENCH_IMPORT_ROWS=5000 BENCH_IMPORT_WORKERS=4 for a short run

The target (issue 26): ≥ 300 rows/s on the 2-core reference machine. It starts its own DynamoDB Local (in memory)
and a fresh tenant; `write_member_file` is also what the integration tests import.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any


def member_rows(
    count: int, *, today: date | None = None, changed: frozenset[int] = frozenset()
) -> list[dict[str, Any]]:
    """`count` rows of members with opening balances: most members one lot, every 5th two (soonest first), every
    7th one more already expired (first); a row index in `changed` gets other points (a conflicting re-import)."""
    day = today or datetime.now(UTC).date()
    rows: list[dict[str, Any]] = []
    member = 0
    while len(rows) < count:
        lots: list[tuple[str, str]] = []
        if member % 7 == 3:
            lots.append(("old", "2020-01-31"))
        lots.append(("L1", str(day + timedelta(days=30 + member % 300))))
        if member % 5 == 1:
            lots.append(("L2", str(day + timedelta(days=400 + member % 50))))
        for lot_id, expires in lots:
            if len(rows) >= count:
                break
            points = 10 + (member * 37 + len(lot_id)) % 990
            if len(rows) in changed:
                points += 1
            rows.append(
                {
                    "externalId": f"ext-{member:07d}",
                    "email": f"member{member}@example.com",
                    "firstName": f"First{member}",
                    "lastName": "Imported",
                    "tags": "vip;import" if member % 3 == 0 else "",
                    "lotId": lot_id,
                    "points": str(points),
                    "earnedAt": "2019-06-01T10:00:00Z" if lot_id == "old" else "2025-01-15T10:00:00Z",
                    "expiresAt": expires,
                    "qualifiedPoints": str(member % 2000) if member % 2 == 0 else "",
                }
            )
        member += 1
    return rows


FILE_COLUMNS = ("externalId", "email", "firstName", "lastName", "tags", "lotId", "points", "earnedAt", "expiresAt",
                "qualifiedPoints")  # fmt: skip


def write_member_file(path: Path, rows: list[dict[str, Any]], *, jsonl: bool = False) -> Path:
    """The rows as a CSV file with a header (or JSON Lines: empty cells left out, numbers as JSON numbers)."""
    import csv

    with path.open("w", newline="", encoding="utf-8") as out:
        if jsonl:
            for row in rows:
                given = {k: v for k, v in row.items() if v != ""}
                for name in ("points", "qualifiedPoints"):
                    if name in given and isinstance(given[name], str) and given[name].isdigit():
                        given[name] = int(given[name])
                if "tags" in given and isinstance(given["tags"], str):
                    given["tags"] = given["tags"].split(";")
                out.write(json.dumps(given) + "\n")
        else:
            writer = csv.DictWriter(out, fieldnames=FILE_COLUMNS, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
    return path


def _cpu_seconds(process: Any) -> float:
    """User + system CPU seconds of a process (this one, or the engine's JVM): rows per CPU second is a measure a
    shared machine's load does not move, as rows/s is."""
    pid = process if isinstance(process, int) else process.process.pid
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def main() -> None:
    from tools.local import dynamodb_local

    count = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
    workers = int(os.environ.get("BENCH_IMPORT_WORKERS", "4"))
    engine = dynamodb_local.Engine.start()
    os.environ.update({**dynamodb_local.credentials().environment(), "AWS_ENDPOINT_URL_DYNAMODB": engine.endpoint})
    os.environ.setdefault("TABLE_NAME", dynamodb_local.TABLE)
    # the table's client is made on first import, from the environment just set
    from loyalty.repository.client import client, table_name
    from loyalty.services import tenants

    from tools.imports_cli import import_members, rss_mib, skip_request_validation

    skip_request_validation()
    try:
        dynamodb_local.ensure_table(client, table_name())
        tenant_id = f"bench-import-{os.getpid()}"
        tenants.create_tenant(tenant_id, "Import bench")
        probes: dict[str, float] = {}

        def probe(done: int) -> None:
            if done >= 10_000 and "rssMiB@10k" not in probes:
                probes["rssMiB@10k"] = round(rss_mib(), 1)

        with tempfile.TemporaryDirectory() as folder:
            path = write_member_file(Path(folder) / "members.csv", member_rows(count))
            summary = import_members(path, tenant_id, workers=workers, report=Path(folder) / "report.csv",
                                     progress=sys.stderr.isatty(), on_rows=probe)  # fmt: skip
        result = {
            "scenario": "import members",
            "cpuSeconds": {"client": round(_cpu_seconds(os.getpid()), 1), "engine": round(_cpu_seconds(engine), 1)},
            "rows": count,
            "workers": workers,
            **summary.as_json(),
            **probes,
            f"rssMiB@{count // 1000}k": round(rss_mib(), 1),
            "target": "≥ 300 rows/s",
        }
        print(json.dumps(result, indent=2))
        print(json.dumps(bench_exports(tenant_id), indent=2))  # issue 26, exports: the same tenant exported
    finally:
        engine.stop()


# --- exports and code imports (issue 26, `exports`) --------------------------------------------------------------


def bench_exports(tenant_id: str) -> list[dict[str, Any]]:
    """`loyalty export members` of the tenant just imported (target ≥ 2,000 rows/s), CSV to a file, and
    `loyalty import codes` of BENCH_CODES codes (default 50,000) into a coupon reward's pool of that tenant."""
    from tools.exports_cli import export, import_codes

    out: list[dict[str, Any]] = []
    codes = int(os.environ.get("BENCH_CODES", "50000"))
    with tempfile.TemporaryDirectory() as folder:
        exported = export("members", tenant_id, output=Path(folder) / "members.csv", progress=sys.stderr.isatty())
        out.append({"scenario": "export members", **exported, "rssMiB": round(_rss(), 1), "target": "≥ 2,000 rows/s"})
        _coupon_reward(tenant_id, "bench-coupon")
        path = Path(folder) / "codes.csv"
        with path.open("w") as file:
            file.write("code\n")
            file.writelines(f"BENCH-{i:07d}\n" for i in range(codes))
        summary = import_codes(path, tenant_id, ("reward", "bench-coupon"), progress=sys.stderr.isatty())
        out.append({"scenario": "import codes", "codes": codes, **summary.as_json()})
    return out


def _coupon_reward(tenant_id: str, reward_id: str) -> None:
    from loyalty.models.rewards import RewardCreate
    from loyalty.operation import Caller
    from loyalty.services import rewards

    body = {"rewardId": reward_id, "name": "Bench", "pointsCost": 1, "fulfillment": "coupon"}
    rewards.create_reward(Caller(tenant_id, admin=True), RewardCreate.model_validate(body))  # as POST /rewards


def _rss() -> float:
    from tools.imports_cli import rss_mib

    return rss_mib()


if __name__ == "__main__":
    main()
