"""The one retry policy: how each DynamoDB failure is classified, what is retried, for how long.

Taxonomy (docs/decisions.md has the table):
- transient, not applied: throttling, a connection that never reached DynamoDB → retried with
  jittered backoff within OUTAGE_BUDGET_SECONDS, then 429 (throttling) / 503, with Retry-After;
- transient, outcome unknown: a 5xx or a timeout after the request was sent → reads are retried
  like the above; a write is not (it may have been applied): 503 with Retry-After, and the
  client's retry with the same Idempotency-Key is answered from the idempotency record;
- lost race: a transaction conflict, or a condition that failed because another request changed
  what this one read → the caller re-reads and decides again (`until_decided`) within
  RACE_BUDGET_SECONDS, then 503;
- permanent: a condition that fails again and again with the very state it expects (nothing
  changed, so it can never hold; `until_decided` says how often) → 409; validation errors, items
  or item collections too large (`Rejected`) → never retried, a logged 500 (a bug in what we send).
"""

from __future__ import annotations

import hashlib
import random
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

from loyalty.errors import Conflict, Unavailable
from loyalty.repository.table import PARTITION_KEY, SORT_KEY

T = TypeVar("T")

# Lost races are retried this long (the functions time out at 25 s, API Gateway at 29 s): a hot member
# under a burst of writes still gets every request decided rather than a 503.
RACE_BUDGET_SECONDS = 20.0
# A condition failing with the same signature this many tries in a row is permanent (until_decided);
# the last try waits SETTLE_SECONDS first, far longer than a transaction takes to be applied.
PERMANENT_AFTER = 3
SETTLE_SECONDS = 0.1
# Throttling and outages: a few quick retries, then the client is told when to come back.
OUTAGE_BUDGET_SECONDS = 1.0


class ConditionFailed(Exception):
    """A condition of a write did not hold; `failed` holds the indexes of the items whose condition failed.

    `signature` names the failed writes with the values their conditions expected: the same
    signature twice in a row means the state did not move, so the condition can never hold. It holds
    keys and values (emails, codes), so it is compared, never logged: `shown` is what a log may carry.
    """

    def __init__(self, failed: list[int], signature: str = "", shown: list[str] | None = None) -> None:
        super().__init__(failed)
        self.failed = failed
        self.signature = signature
        self.shown = shown or []


class Contention(Unavailable):
    """A transaction lost a race on one of its items (TransactionConflict): re-read and try again."""


class Rejected(Exception):
    """DynamoDB refused the request as invalid (validation, item too large): a bug, never retried."""


class Budget:
    """A deadline for retries and jittered exponential backoff between tries."""

    def __init__(self, seconds: float, base: float, cap: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.base, self.cap = base, cap
        self.tries = 0

    def wait(self) -> bool:
        """Sleep before the next try; False (and no sleep) when the budget is spent."""
        self.tries += 1
        delay = random.uniform(0, min(self.cap, self.base * 2 ** min(self.tries, 10)))
        if time.monotonic() + delay > self.deadline:
            return False
        time.sleep(delay)
        return True


def races(seconds: float | None = None) -> Budget:
    """The budget of a read-decide-write loop (a request, a job's item, an upload)."""
    return Budget(RACE_BUDGET_SECONDS if seconds is None else seconds, base=0.002, cap=0.05)


def outages() -> Budget:
    """The budget of one DynamoDB call against throttling and outages."""
    return Budget(OUTAGE_BUDGET_SECONDS, base=0.025, cap=0.25)


def until_decided(step: Callable[[], T], budget: Budget | None = None) -> T:
    """Run a read-decide-write `step` until it commits or decides; re-run it after every lost race.

    A condition that fails with the same signature on PERMANENT_AFTER tries in a row, the last one
    after SETTLE_SECONDS, is permanent. Twice is not proof: a read of several items (the offer and its
    usage shards in one BatchGetItem) is not isolated from a transaction being applied, so two tries
    can both see an update half done; and a condition on a count (`uses < cap`) names no value read.
    """
    budget = budget or races()
    last_signature: str | None = None
    repeats = 0
    while True:
        try:
            return step()
        except ConditionFailed as failed:
            repeats = repeats + 1 if failed.signature and failed.signature == last_signature else 0
            if repeats + 1 >= PERMANENT_AFTER:
                from loyalty.observability import logger

                logger.error("permanent condition failure", extra={"writes": failed.shown})
                raise Conflict(
                    "invalid_state", "The request can't be applied to the current state; retrying won't help."
                ) from None
            last_signature = failed.signature
            if repeats + 2 == PERMANENT_AFTER:  # the next try decides: let any write under way land first
                time.sleep(SETTLE_SECONDS)
                continue
        except Contention:
            last_signature, repeats = None, 0
        if not budget.wait():
            raise Unavailable("The resource is busy; retry with the same Idempotency-Key.") from None


def shown(items: list[dict[str, Any]], failed: list[int]) -> list[str]:
    """The failed writes as a log may show them: position, kind, condition expression (placeholders
    only), and the key's digest to tell writes apart. No key or value: keys hold emails and codes."""
    out = []
    for index in failed:
        if index >= len(items):
            continue
        ((kind, body),) = items[index].items()
        key = body.get("Key") or {name: body["Item"][name] for name in ("pk", "sk")}
        digest = hashlib.sha256(repr(sorted(key.items())).encode()).hexdigest()[:12]
        out.append(f"{index} {kind} key#{digest} if {body.get('ConditionExpression', '')}")
    return out


_PLACEHOLDER = re.compile(r"[:#][A-Za-z0-9_]+")


def signature(items: list[dict[str, Any]], failed: list[int]) -> str:
    """The failed writes of a transaction: key, condition and the values the condition expected."""
    parts = []
    for index in failed:
        if index >= len(items):
            continue
        ((kind, body),) = items[index].items()
        key = body.get("Key") or {name: body["Item"][name] for name in (PARTITION_KEY, SORT_KEY)}
        condition = body.get("ConditionExpression", "")
        used = set(_PLACEHOLDER.findall(condition))
        values = {k: v for k, v in (body.get("ExpressionAttributeValues") or {}).items() if k in used}
        names = {k: v for k, v in (body.get("ExpressionAttributeNames") or {}).items() if k in used}
        parts.append(repr((index, kind, sorted(key.items()), condition, sorted(names.items()), sorted(values.items()))))
    return "\n".join(parts)
