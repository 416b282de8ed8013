"""`make bench`: cold start of every function as deployed (ratio to the boto3 floor), and DynamoDB calls per operation.

Everything is measured in one run on this machine; nothing here asserts a time (see docs/performance.md).
`python -m tools.bench --functions create_award,authorizer --pairs 15 --only cold` narrows a run.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
from collections import Counter
from collections.abc import Callable
from typing import Any

from tools import coldstart


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__)
    parser.add_argument("--functions", help="comma-separated functions to measure cold (default: all)")
    parser.add_argument("--pairs", type=int, default=coldstart.MIN_PAIRS, help="floor/function pairs per function")
    parser.add_argument("--only", choices=("cold", "calls"), help="run one part of the bench")
    args = parser.parse_args(argv)
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    if args.only != "calls":
        functions = [f for f in (args.functions or "").split(",") if f]
        print("\n".join(coldstart.run(functions, args.pairs)), end="\n\n", flush=True)
    if args.only == "cold":
        return
    counts = tuple(int(n) for n in os.environ.get("BENCH_MEMBERS", "10,5000").split(","))
    print("DynamoDB calls per request (counted on the botocore client; authorizer excluded: 1 GetItem, cached 60 s)\n")
    print(f"| {'operation':<44} | {'members':>7} | {'status':>6} | {'calls':>5} | {'by API':<40} |")
    print(f"|{'-' * 46}|{'-' * 9}|{'-' * 8}|{'-' * 7}|{'-' * 42}|")
    for name, members, calls, status in dynamodb_calls(counts):
        detail = ", ".join(f"{api} {n}" for api, n in sorted(calls.items())) or "none"
        print(f"| {name:<44} | {members:>7} | {status:>6} | {sum(calls.values()):>5} | {detail:<40} |")


if __name__ == "__main__":
    main()
