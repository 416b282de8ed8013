"""`make bench`, local API latency: p50/p95 of an award, a redemption, a list page and GET member over one kept-alive
connection, on DynamoDB Local (on-disk database, as `make serve` runs it) vs the in-process moto engine, in one run.

Each engine runs in its own child process (one boto3 client per process, as in Lambda); nothing here asserts a time.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REQUESTS = int(os.environ.get("BENCH_LATENCY_REQUESTS", "100"))
WARM_UP = 10
ENGINES = {"dynamodb-local": "DynamoDB Local (on disk)", "moto": "in-process moto"}


def _start_engine(engine: str, workdir: str) -> Callable[[], None]:
    """Point this process's loyalty client at the engine (before any loyalty import); returns its stop."""
    from tools.local import dynamodb_local, embedded_dynamodb

    if engine == "moto":
        embedded_dynamodb.start()
        return lambda: None
    creds = dynamodb_local.Credentials("BENCH" + os.urandom(8).hex().upper(), "bench")
    running = dynamodb_local.Engine.start(database=Path(workdir))
    os.environ.update(
        {**creds.environment(), "AWS_ENDPOINT_URL_DYNAMODB": running.endpoint, "TABLE_NAME": dynamodb_local.TABLE}
    )
    dynamodb_local.ensure_table(dynamodb_local.client(running.endpoint, creds))
    return running.stop


class _Caller:
    """One kept-alive connection to the local API, as a checkout's HTTP client keeps one."""

    def __init__(self, port: int, key: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def __call__(self, method: str, path: str, body: Any = None) -> tuple[int, Any, float]:
        started = time.perf_counter()
        payload = json.dumps(body) if body is not None else None
        self.connection.request(method, f"/Production{path}", body=payload, headers=self.headers)
        response = self.connection.getresponse()
        text = response.read()
        return response.status, json.loads(text or b"null"), time.perf_counter() - started


def measure(engine: str) -> dict[str, list[float]]:
    """Seconds per request, by operation, on a fresh tenant of the given engine."""
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    os.environ["LOYALTY_ACCESS_LOG"] = "0"
    with tempfile.TemporaryDirectory() as workdir:
        stop = _start_engine(engine, workdir)
        try:
            from loyalty.services import tenants

            from tools.local.server import LocalApi

            tenants.create_tenant("bench", "Bench")
            key = tenants.issue_key("bench", ["admin"])["key"]
            api = LocalApi(0, serialise=engine == "moto")
            threading.Thread(target=api.serve_forever, daemon=True).start()
            call = _Caller(api.server_address[1], key)
            with contextlib.redirect_stdout(io.StringIO()):
                return _scenarios(call)
        finally:
            stop()


def _scenarios(call: _Caller) -> dict[str, list[float]]:
    rounds = REQUESTS + WARM_UP
    call("POST", "/activities", {"activityId": "visit", "name": "Visit", "points": 10})
    call(
        "POST",
        "/rewards",
        {"rewardId": "sticker", "name": "Sticker", "pointsCost": 1, "fulfillment": "manual", "isActive": True},
    )
    member = call("POST", "/members", {"email": "bench@example.com"})[1]["data"]["memberId"]
    operations: dict[str, tuple[str, str, Any]] = {
        "award (POST /members/{id}/awards)": ("POST", f"/members/{member}/awards", {"activityId": "visit"}),
        "redemption (POST /members/{id}/redemptions)": (
            "POST",
            f"/members/{member}/redemptions",
            {"rewardId": "sticker"},
        ),
        "list page (GET /members/{id}/transactions, 25)": ("GET", f"/members/{member}/transactions?limit=25", None),
        "GET /members/{id}": ("GET", f"/members/{member}", None),
    }
    timings: dict[str, list[float]] = {}
    for name, (method, path, body) in operations.items():
        samples = []
        for _ in range(rounds):
            status, _, seconds = call(method, path, body)
            if status >= 300:
                raise RuntimeError(f"{name}: {status}")
            samples.append(seconds)
        timings[name] = samples[WARM_UP:]
    return timings


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    results = {}
    for engine in ENGINES:
        output = subprocess.run(
            [sys.executable, "-m", "tools.bench_latency", "--engine", engine],
            capture_output=True,
            text=True,
            check=True,
        )
        results[engine] = json.loads(output.stdout.strip().splitlines()[-1])
    print(f"\nLocal API latency, one kept-alive connection, {REQUESTS} requests each after {WARM_UP} warm-up (ms)\n")
    print(f"| {'operation':<48} | {'engine':<24} | {'p50':>6} | {'p95':>6} |")
    print(f"|{'-' * 50}|{'-' * 26}|{'-' * 8}|{'-' * 8}|")
    for operation in results["moto"]:
        for engine, label in ENGINES.items():
            samples = results[engine][operation]
            p50, p95 = statistics.median(samples) * 1000, _percentile(samples, 0.95) * 1000
            print(f"| {operation:<48} | {label:<24} | {p50:>6.1f} | {p95:>6.1f} |")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--engine"]:
        print(json.dumps(measure(sys.argv[2])))
    else:
        main()
