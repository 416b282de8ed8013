"""Measure the scheduled jobs' cost per due item on the embedded table: `python -m tools.job_cost [N]`.

Creates a tenant with N members, each with one points lot and one delayed award, runs the expiring-soon
notices (twice: giving, then finding them given), moves the clock past their dates and runs the other jobs on
one thread, printing milliseconds and DynamoDB calls per
item (docs/deploy.md uses these). moto serialises calls and does the server's work in-process, so
the time is an upper bound, not AWS's.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime
from typing import Any


def main(count: int) -> None:
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    from tools.local import embedded_dynamodb

    embedded_dynamodb.start()
    from loyalty import clock
    from loyalty.repository.client import client
    from loyalty.services import jobs, tenants

    from tools.local.gateway import Gateway

    clock.use(clock.FrozenClock(datetime(2026, 5, 1, 9, 0, tzinfo=UTC)))
    tenants.create_tenant("jobcost", "Job cost")
    auth = {
        "Authorization": "Bearer " + tenants.issue_key("jobcost", ["admin"])["key"],
        "Content-Type": "application/json",
    }
    gateway = Gateway()

    def call(method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = gateway.handle(method, f"/Production{path}", "", auth, json.dumps(body).encode())
        assert answer.status < 300, answer.body
        return json.loads(answer.body)["data"]

    call("PATCH", "/program", {"pointsExpiryDays": 10, "pendingDays": 3})
    call("POST", "/activities", {"activityId": "visit", "name": "Visit", "points": 10})
    call("POST", "/activities", {"activityId": "later", "name": "Later", "points": 7, "approvalMethod": "delayed"})
    for i in range(count):
        member = call("POST", "/members", {"email": f"m{i}@example.com"})["memberId"]
        call("POST", f"/members/{member}/awards", {"activityId": "visit"})
        call("POST", f"/members/{member}/awards", {"activityId": "later"})
    calls: dict[str, int] = {}

    def counted(model: Any, **_: Any) -> None:
        calls[model.name] = calls.get(model.name, 0) + 1

    client.meta.events.register("before-parameter-build.dynamodb", counted)
    jobs.WORKERS = 1
    soon = datetime(2026, 5, 5, 9, 0, tzinfo=UTC)  # the lots (10-day points) expire within the notice window
    for run in ("gives", "skips"):  # the expiring-soon notices: a first run gives each, a second reads only
        calls.clear()
        started = time.perf_counter()
        result = jobs.notify_expiring(now=soon, tenant_ids=["jobcost"])
        per_item = (time.perf_counter() - started) / count * 1000
        per_call = {op: round(n / count, 2) for op, n in sorted(calls.items())}
        print(f"notify_expiring ({run}): {result}; {per_item:.1f} ms per item on moto; DynamoDB calls {per_call}")
    later = datetime(2026, 5, 13, 9, 0, tzinfo=UTC)
    for name in ("approve_delayed", "expire_points"):
        calls.clear()
        started = time.perf_counter()
        result = getattr(jobs, name)(now=later, tenant_ids=["jobcost"])
        per_item = (time.perf_counter() - started) / count * 1000
        per_call = {op: round(n / count, 2) for op, n in sorted(calls.items())}
        print(f"{name}: {result}; {per_item:.1f} ms per item on moto; DynamoDB calls per item {per_call}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
