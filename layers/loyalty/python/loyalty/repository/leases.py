"""Job leases: one item per scheduled job that lets one run at a time work, whatever Lambda's concurrency.

A run takes its job's lease with a conditional write, extends it page by page and gives it back when it
ends; a run that crashed (or was killed at its timeout) holds it only until the lease's expiry. This is
platform data, not tenant data: the key starts with JOB#, never with a tenant's T#.
"""

from __future__ import annotations

import time

from loyalty.repository import store
from loyalty.repository.table import TTL_ATTRIBUTE

PREFIX = "JOB#"
_FREE = f"{store.ABSENT} OR #ttl < :now"  # no lease, or one past its expiry (its holder is gone)
_MINE = "#holder = :holder"


def key(job: str) -> store.Key:
    return store.key(f"{PREFIX}{job}", "LEASE")


def take(job: str, holder: str, seconds: int, now: float | None = None) -> bool:
    """Take the job's lease for `seconds`, or extend it if `holder` has it; False while another run holds it."""
    at = int(time.time() if now is None else now)
    return store.applied(
        store.put(
            {**key(job), "holder": holder, "takenAt": at, TTL_ATTRIBUTE: at + seconds},
            condition=f"{_FREE} OR {_MINE}",
            names={"#ttl": TTL_ATTRIBUTE, "#holder": "holder"},
            values={":now": at, ":holder": holder},
        )
    )


def give_back(job: str, holder: str) -> None:
    """End the lease at once (the run is over); a lease taken over by another run since is left alone."""
    store.applied(store.delete(key(job), condition=_MINE, names={"#holder": "holder"}, values={":holder": holder}))


def holder_of(job: str) -> str | None:
    """Who holds the job's lease now (expired or not), for operators and tests."""
    item = store.get(key(job))
    return item["holder"] if item else None
