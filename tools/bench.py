"""`make bench`: cold-start init of every function as a ratio to the boto3 floor, and DynamoDB calls per operation.

Everything is measured in one run on this machine; nothing here asserts a time (see docs/performance.md).
"""

from __future__ import annotations

import contextlib
import io
import os
import statistics
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUNS = 7
FLOOR = "import boto3; boto3.client('dynamodb')"
LAMBDA_ENV = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "TABLE_NAME": "bench",
    "POWERTOOLS_SERVICE_NAME": "loyalty-api",
    "POWERTOOLS_METRICS_NAMESPACE": "LoyaltyApi",
    "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "layers" / "loyalty" / "python")]),
    "PYTHONDONTWRITEBYTECODE": "0",
}


def _time_statement(statement: str) -> float:
    """Seconds a fresh interpreter spends on `statement` (imports and module-level set-up)."""
    program = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **LAMBDA_ENV}
    output = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, check=True)
    return float(output.stdout.strip().splitlines()[-1])


def cold_starts() -> tuple[float, list[tuple[str, float]]]:
    """Median init of the floor and of every function, interleaved so machine noise hits both alike."""
    from loyalty.routes import AUTHORIZER_FUNCTION, JOBS, ROUTES

    functions = sorted({r.function for r in ROUTES} | {j.function for j in JOBS} | {AUTHORIZER_FUNCTION})
    _time_statement(FLOOR)  # warm the file cache once
    floor_runs: list[float] = []
    runs: dict[str, list[float]] = {f: [] for f in functions}
    for _ in range(RUNS):
        floor_runs.append(_time_statement(FLOOR))
        for function in functions:
            runs[function].append(_time_statement(f"import functions.{function}.app"))
    return statistics.median(floor_runs), [(f, statistics.median(r)) for f, r in runs.items()]


class CallCounter:
    """Counts DynamoDB API calls on the botocore client (every client of the process)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.active = False

    def __call__(self, model: Any, **_: Any) -> None:
        if self.active:
            self.calls[model.name] += 1

    def measure(self, action: Callable[[], Any]) -> tuple[Counter[str], Any]:
        self.calls = Counter()
        self.active = True
        try:
            result = action()
        finally:
            self.active = False
        return self.calls, result


def dynamodb_calls(member_counts: tuple[int, ...]) -> list[tuple[str, int, Counter[str], int]]:
    """(operation, members in table, calls by API, HTTP status) for every scenario of tools.bench_scenarios."""
    from tools.local import embedded_dynamodb

    embedded_dynamodb.start("bench")
    from loyalty.repository.client import client

    from tools.bench_scenarios import scenarios

    counter = CallCounter()

    client.meta.events.register("before-call.dynamodb", counter)
    rows = []
    # handlers print their EMF metrics to stdout (CloudWatch's channel); keep them out of the table
    with contextlib.redirect_stdout(io.StringIO()):
        for members in member_counts:
            embedded_dynamodb.reset("bench")
            for name, action in scenarios(members, counter):
                calls, status = counter.measure(action)
                rows.append((name, members, calls, status))
    return rows


def main() -> None:
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    floor, inits = cold_starts()
    print(f"Cold-start init, median of {RUNS} fresh interpreters (floor = `{FLOOR}`: {floor * 1000:.0f} ms)\n")
    print(f"| {'function':<28} | {'init ms':>8} | {'ratio to floor':>14} |")
    print(f"|{'-' * 30}|{'-' * 10}|{'-' * 16}|")
    for function, seconds in inits:
        print(f"| {function:<28} | {seconds * 1000:>8.0f} | {seconds / floor:>14.2f} |")
    worst = max(seconds / floor for _, seconds in inits)
    print(f"\nworst ratio {worst:.2f} (target ≤ 1.5, aim 1.3)\n")
    counts = tuple(int(n) for n in os.environ.get("BENCH_MEMBERS", "10,5000").split(","))
    print("DynamoDB calls per request (counted on the botocore client; authorizer excluded: 1 GetItem, cached 300 s)\n")
    print(f"| {'operation':<44} | {'members':>7} | {'status':>6} | {'calls':>5} | {'by API':<40} |")
    print(f"|{'-' * 46}|{'-' * 9}|{'-' * 8}|{'-' * 7}|{'-' * 42}|")
    for name, members, calls, status in dynamodb_calls(counts):
        detail = ", ".join(f"{api} {n}" for api, n in sorted(calls.items())) or "none"
        print(f"| {name:<44} | {members:>7} | {status:>6} | {sum(calls.values()):>5} | {detail:<40} |")


if __name__ == "__main__":
    main()
