"""Bursts of calls over the local API that are known to have run at the same time at the server."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from tests.support.local import LocalApiServer

T = TypeVar("T")
# How long the first handlers of a burst wait for the rest. Only a server that cannot run them together
# waits this long (and then fails the burst); on a concurrent one, they go as soon as the last arrives.
PATIENCE_SECONDS = 20.0


def at_once(api: LocalApiServer, count: int, call: Callable[[int], T]) -> list[T]:
    """`call(0)` … `call(count - 1)` from `count` threads, each making one request, answers in order.

    The server holds the first handlers until all `count` are running, then lets them race; the burst
    fails unless more than one ran at a time (a server serving one request at a time peaks at 1).
    """
    gauge = api.in_flight
    gauge.arm(count, PATIENCE_SECONDS)
    try:
        with ThreadPoolExecutor(max_workers=count) as pool:
            replies = list(pool.map(call, range(count)))
    finally:
        peak = gauge.disarm()
    assert peak > 1, f"the {count} requests of the burst never overlapped at the server (peak {peak})"
    return replies
