"""`make bench`, webhooks (§13) as `make serve` runs them: DynamoDB Local's change stream → the event builder →
fan-out → the durable queue on the table → the delivery worker → a receiver on 127.0.0.1.

- commit-to-receiver latency: awards one after another (BENCH_WEBHOOK_AWARDS, default 200) to one endpoint; each
  award's latency is from its 201 (the transaction committed before it) to the receiver's 2xx of its
  points.awarded webhook; p50 / p99 (targets p50 ≤ 1 s, p99 ≤ 3 s);
- fan-out: BENCH_WEBHOOK_FANOUT awards (default 1,000) to 3 endpoints → 3 times as many deliveries; each event must
  reach each endpoint under one id (the same on all three); deliveries per second from the first award's commit
  to the last delivery.

Nothing here asserts a time. `python -m tools.bench_webhooks` runs it alone (in a child process: its own engine).
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

AWARDS = int(os.environ.get("BENCH_WEBHOOK_AWARDS", "200"))
FANOUT = int(os.environ.get("BENCH_WEBHOOK_FANOUT", "1000"))
ENDPOINTS = 3
CLIENTS = 4  # the fan-out's awards are sent over this many connections at once


class _Receiver:
    """Records when each (path, webhook-id) was first answered 2xx, and every id per transaction."""

    def __init__(self) -> None:
        self.first: dict[tuple[str, str], float] = {}
        self.ids: dict[tuple[str, str], set[str]] = defaultdict(set)  # (path, transactionId) → webhook-ids
        self.by_transaction: dict[str, float] = {}
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                now = time.perf_counter()
                key = (self.path, self.headers["webhook-id"])
                transaction = body["data"].get("transactionId", "")
                with outer.lock:
                    outer.first.setdefault(key, now)
                    outer.ids[self.path, transaction].add(self.headers["webhook-id"])
                    outer.by_transaction.setdefault(transaction, now)
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def count(self) -> int:
        with self.lock:
            return len(self.first)


class _Api:
    def __init__(self, port: int, key: str) -> None:
        self.port, self.key = port, key
        self.local = threading.local()

    def __call__(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        if not hasattr(self.local, "connection"):
            self.local.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"}
        self.local.connection.request(method, f"/Production{path}", json.dumps(body) if body else None, headers)
        answer = self.local.connection.getresponse()
        return answer.status, json.loads(answer.read() or b"null")


def _wait(receiver: _Receiver, wanted: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while receiver.count() < wanted and time.monotonic() < deadline:
        time.sleep(0.02)


def _tenant(name: str, receiver: _Receiver, paths: list[str], api_port: int) -> tuple[_Api, str]:
    from loyalty.services import tenants

    tenants.create_tenant(name, name)
    api = _Api(api_port, tenants.issue_key(name, ["admin"])["key"])
    for path in paths:
        status, made = api("POST", "/webhooks", {"url": receiver.base + path, "events": ["points.awarded"]})
        assert status == 201, made
    api("POST", "/activities", {"activityId": "visit", "name": "Visit", "points": 10})
    status, member = api("POST", "/members", {"email": f"{name}@example.com"})
    return api, member["data"]["memberId"]


def measure() -> dict[str, Any]:
    from tools.bench_latency import _start_engine

    os.environ.update(
        {"POWERTOOLS_METRICS_DISABLED": "true", "LOYALTY_ACCESS_LOG": "0", "LOYALTY_WEBHOOKS_ALLOW_LOCAL": "1"}
    )
    with tempfile.TemporaryDirectory() as workdir:
        stop = _start_engine("dynamodb-local", workdir)
        try:
            from tools.local.delivery import DeliveryWorker
            from tools.local.dynamodb_local import TABLE
            from tools.local.server import LocalApi
            from tools.local.stream import poller_for

            receiver = _Receiver()
            api_server = LocalApi(0)
            threading.Thread(target=api_server.serve_forever, daemon=True).start()
            port = api_server.server_address[1]
            poller = poller_for(os.environ["AWS_ENDPOINT_URL_DYNAMODB"], TABLE).start()
            worker = DeliveryWorker().start()
            try:
                return {**_latency(receiver, port), **_fan_out(receiver, port)}
            finally:
                poller.stop()
                worker.stop()
                api_server.shutdown()
        finally:
            stop()


def _latency(receiver: _Receiver, port: int) -> dict[str, Any]:
    api, member = _tenant("latency", receiver, ["/one"], port)
    committed: dict[str, float] = {}
    for _ in range(AWARDS):
        _, award = api("POST", f"/members/{member}/awards", {"activityId": "visit"})
        committed[award["data"]["transactionId"]] = time.perf_counter()
        time.sleep(0.05)  # an award every ~50 ms plus its own time: a steady trickle, not a burst
    _wait(receiver, AWARDS, 60)
    latencies = [receiver.by_transaction[t] - at for t, at in committed.items() if t in receiver.by_transaction]
    ordered = sorted(latencies)
    return {
        "latency_n": len(latencies),
        "latency_p50": statistics.median(ordered) if ordered else None,
        "latency_p99": ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] if ordered else None,
    }


def _fan_out(receiver: _Receiver, port: int) -> dict[str, Any]:
    paths = [f"/fan{i}" for i in range(ENDPOINTS)]
    api, member = _tenant("fanout", receiver, paths, port)
    before = receiver.count()
    started = time.perf_counter()

    def award(_: int) -> str:
        status, made = api("POST", f"/members/{member}/awards", {"activityId": "visit"})
        assert status == 201, made
        return str(made["data"]["transactionId"])

    with ThreadPoolExecutor(CLIENTS) as clients:
        transactions = list(clients.map(award, range(FANOUT)))
    committed = time.perf_counter() - started
    _wait(receiver, before + FANOUT * ENDPOINTS, 600)
    seconds = time.perf_counter() - started
    delivered = receiver.count() - before
    one_id = all(
        len(set().union(*(receiver.ids[p, t] for p in paths))) == 1 and all(receiver.ids[p, t] for p in paths)
        for t in transactions
    )
    return {
        "fanout_awards": FANOUT,
        "fanout_delivered": delivered,
        "fanout_seconds": seconds,
        "fanout_commit_seconds": committed,
        "fanout_one_id": one_id,
    }


def main() -> None:
    import subprocess

    output = subprocess.run([sys.executable, "-m", "tools.bench_webhooks", "--child"], capture_output=True, text=True)
    if output.returncode:
        sys.stderr.write(output.stderr[-3000:])
        raise SystemExit(output.returncode)
    r = json.loads(output.stdout.strip().splitlines()[-1])
    print("\nWebhooks as `make serve` runs them (DynamoDB Local stream → fan-out → queue → worker → receiver)\n")
    print(f"| {'measure':<58} | {'value':>24} |")
    print(f"|{'-' * 60}|{'-' * 26}|")
    wanted = r["fanout_awards"] * ENDPOINTS
    rate = r["fanout_delivered"] / r["fanout_seconds"] if r["fanout_seconds"] else 0

    def ms(seconds: float | None) -> str:
        return "n/a" if seconds is None else f"{seconds * 1000:.0f} ms"

    rows = [
        (f"commit → receiver 2xx, p50 ({r['latency_n']} awards; target ≤ 1 s)", ms(r["latency_p50"])),
        ("commit → receiver 2xx, p99 (target ≤ 3 s)", ms(r["latency_p99"])),
        (
            f"fan-out: {r['fanout_awards']} awards x {ENDPOINTS} endpoints, delivered",
            f"{r['fanout_delivered']} of {wanted}",
        ),
        ("fan-out: each event one id on every endpoint", str(r["fanout_one_id"])),
        ("fan-out: awards committed in", f"{r['fanout_commit_seconds']:.1f} s"),
        ("fan-out: deliveries/s (first award → last delivery)", f"{rate:.1f}"),
    ]
    for name, value in rows:
        print(f"| {name:<58} | {value:>24} |")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(measure()))
    else:
        main()
