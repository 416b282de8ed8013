"""A job's time budget is checked before each item's work and bounds each item's retries (a fake clock)."""

from __future__ import annotations

import time
from typing import Any

from loyalty.repository import retry
from loyalty.services import jobs

RESERVE_MS = 20_000


class FakeLambdaClock:
    """A Lambda's remaining time that moves only when an item's work says it took time."""

    def __init__(self, left_ms: int) -> None:
        self.left_ms = left_ms

    def remaining(self) -> int:
        return self.left_ms


def _one_page(count: int):
    def due(tenant_id: str, start: dict[str, Any] | None) -> jobs.Page:
        return [{"n": i} for i in range(count)], None

    return due


def test_no_item_starts_its_work_once_the_budget_is_spent(monkeypatch):
    """All of a page's items are queued at once; each must look at the clock when it starts, not when queued."""
    monkeypatch.setattr(jobs, "WORKERS", 1)  # one worker: items start one after another, deterministically
    clock = FakeLambdaClock(RESERVE_MS + 3_500)
    started: list[int] = []

    def settle(tenant_id: str, item: dict[str, Any]) -> None:
        assert clock.remaining() >= RESERVE_MS, "an item started inside the reserve"
        started.append(item["n"])
        clock.left_ms -= 1_000  # each item takes a second

    budget = jobs.Budget(clock.remaining, RESERVE_MS)
    complete, failed = jobs._walk("test", ["t1"], _one_page(10), settle, budget)
    assert (complete, failed) == (False, [])
    assert started == [0, 1, 2, 3]  # 3.5 s above the reserve: four items start, the other six wait


def test_a_run_whose_last_page_is_cut_short_is_not_complete(monkeypatch):
    monkeypatch.setattr(jobs, "WORKERS", 1)
    clock = FakeLambdaClock(RESERVE_MS + 500)

    def settle(tenant_id: str, item: dict[str, Any]) -> None:
        clock.left_ms -= 1_000

    complete, _ = jobs._walk("test", ["t1"], _one_page(2), settle, jobs.Budget(clock.remaining, RESERVE_MS))
    assert complete is False  # the second item was left due, so the next run has work


def test_an_items_retries_end_where_the_runs_budget_does():
    """A lost race is retried for RACE_BUDGET_SECONDS, unless the run has less time than that above its reserve."""
    clock = FakeLambdaClock(RESERVE_MS)  # nothing left above the reserve
    tries: list[int] = []

    def always_contended() -> bool:
        tries.append(1)
        raise retry.Contention()

    assert jobs._settle(always_contended, False, jobs.Budget(clock.remaining, RESERVE_MS)) is False
    assert tries == [1]  # tried once, then left for the next run: no retry into the reserve


def test_the_retry_budget_is_the_policys_when_there_is_time_and_without_a_clock():
    before = time.monotonic()
    for budget in (jobs.UNLIMITED, jobs.Budget(FakeLambdaClock(10**9).remaining, RESERVE_MS)):
        assert budget.retries().deadline >= before + retry.RACE_BUDGET_SECONDS
    short = jobs.Budget(FakeLambdaClock(RESERVE_MS + 2_000).remaining, RESERVE_MS).retries()
    assert short.deadline <= time.monotonic() + 2  # computed before now, with 2 s to spend
