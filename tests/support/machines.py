"""What the hypothesis state machines share: callers as the HTTP edge builds them, a fresh tenant on
a frozen clock, ids and codes from a seeded source, expected refusals, retries with the same
Idempotency-Key, the ledger checker after every step, and a run that counts the examples that reached
the step floor and the successes per rule."""

from __future__ import annotations

import os
import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.internal.conjecture import providers
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from hypothesis.strategies._internal.featureflags import FeatureFlags
from loyalty import cache, clock, codes, ids, jsontext
from loyalty.errors import ApiError
from loyalty.models.types import checked
from loyalty.operation import Caller, Replayed
from loyalty.services import checker, jobs, tenants

from tools.local import embedded_dynamodb

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.support.ledger_model import Expect, LedgerModel

TENANT = "sm"
# `make fuzz`: LOYALTY_FUZZ=1 runs the machines with random seeds (derandomize off), and
# LOYALTY_FUZZ_EXAMPLES examples each (default ten times CI's).
FUZZ = os.environ.get("LOYALTY_FUZZ", "") not in ("", "0")


def fuzz_examples(examples: int) -> int:
    """How many examples to run: CI's count, or LOYALTY_FUZZ_EXAMPLES (default 10x) under LOYALTY_FUZZ.
    LOYALTY_MACHINE_EXAMPLES=N (without LOYALTY_FUZZ) runs CI's derandomized draws with N examples
    instead, floors scaled, and a failure reported as found (not shrunk): a quick local check of a machine."""
    if FUZZ:
        return int(os.environ.get("LOYALTY_FUZZ_EXAMPLES") or examples * 10)
    return int(os.environ.get("LOYALTY_MACHINE_EXAMPLES") or examples)


def caller(key: str | None = None, what: Any = None) -> Caller:
    """The caller a service sees; with a key, a fingerprint of what is asked (as the HTTP edge would give)."""
    return Caller(TENANT, key, jsontext.digest(what) if key else "", admin=True)


def valid(shape: Any, body: dict[str, Any]) -> dict[str, Any]:
    """A body as the edge hands it to a service: checked against the operation's shape."""
    return checked(shape, body)


class MachineHost:
    """What a rule mixin (tests/unit/*_rules.py) uses of the machine it is mixed into: declarations only (no
    values, so nothing here shadows the host's own), in one place instead of a copy in every mixin. The ledger
    machine provides all of them; the voucher machine the first block."""

    tenant_id: str
    members: list[str]
    clock: Any
    sent: list[tuple[Any, str, Any, int, dict[str, Any]]]  # the machine's replays (CheckedMachine._outcome, _call)
    succeeded: Callable[..., None]  # counts of successes per rule and refusals per code (CheckedMachine)
    refused: Callable[[str], None]
    # the ledger machine (tests/unit/test_ledger_state_machine.py)
    model: LedgerModel
    handed: set[str]  # coupon codes handed out
    _call: Callable[..., Any]  # a service call that must answer as the model predicts
    _key: Callable[[bool, str], str | None]  # an Idempotency-Key, or None
    _new_member: Callable[[], str]
    _activate: Callable[[str], None]
    _settle: Callable[[str, bool, bool], None]
    _check_award: Callable[[str, Expect], None]  # tests/unit/referral_rules.py
    top_up_pool: Callable[[int, bool], None]


class CheckedMachine(RuleBasedStateMachine):
    """A fresh tenant per example; `_do` runs a service call, the checker runs after every step.

    `RULE_WEIGHTS` ({rule name: weight}, 1 if absent) steers which rule a step runs: a rule of weight 2 is
    drawn twice as often as one of weight 1 (`steer_rules`). A machine that sets `UNIFORM_RULES` also turns
    off hypothesis's swarm testing in derandomized (CI) runs: by default each example disables a random share
    of the rules (from none to nearly all), so with 35 rules and 25 examples a rule could be off in most of a
    part's examples and its count (and floor) swing from one part to the next; `make fuzz` keeps it.
    """

    RULE_WEIGHTS: dict[str, int] = {}
    UNIFORM_RULES = False
    runs: list[int] = []
    successes: Counter[str] = Counter()  # operations that succeeded, by rule, over a whole run
    refusals: Counter[str] = Counter()  # calls refused as the model predicted, by error code, over a whole run

    def __init__(self) -> None:
        super().__init__()
        steer_rules(self)
        ENTROPY.restart()
        embedded_dynamodb.reset()
        cache.clear()
        self.clock = clock.FrozenClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
        clock.use(self.clock)
        tenants.create_tenant(TENANT, "State machine", lists=FEW_LIST_SHARDS, counter_shards=FEW_COUNTER_SHARDS)
        self.sent: list[tuple[Any, str, datetime, int, dict[str, Any]]] = []
        self.steps = 0

    def _outcome(self, attempt: Any, key: str | None = None, status: int = 201) -> tuple[str, Any]:
        """("ok", data) or (the error code, None), for machines that predict every answer; keyed
        successes join the retries."""
        try:
            data = attempt(key)
        except ApiError as error:
            self.refused(error.code)
            return error.code, None
        if key and isinstance(data, dict):
            self.sent.append((attempt, key, self.clock.current, status, data))
        return "ok", data

    def refused(self, code: str) -> None:
        """Count a call refused (as predicted) with `code` (run_machine prints them and checks their floors)."""
        type(self).refusals[code] += 1

    def succeeded(self, name: str, count: int = 1) -> None:
        """Count an operation of rule `name` that succeeded (run_machine prints them and checks their floors)."""
        type(self).successes[name] += count

    @rule(data=st.data())
    def retry_with_same_key(self, data: st.DataObject) -> None:
        """A client retry within 24 h gets the first answer again and changes nothing."""
        recent = [sent for sent in self.sent if self.clock.current - sent[2] < timedelta(hours=23)]
        if not recent:
            return
        attempt, key, _, status, first = data.draw(st.sampled_from(recent))
        with pytest.raises(Replayed) as replay:
            attempt(key)
        assert (replay.value.status, replay.value.body) == (status, jsontext.envelope(first))

    @invariant()
    def ledger_is_right(self) -> None:
        self.steps += 1  # invariants run once at the start and after every step
        report = checker.check([TENANT])
        assert report["problems"] == [], report["problems"]

    def teardown(self) -> None:
        self.runs.append(self.steps - 1)
        clock.reset()
        cache.clear()


def steer_rules(machine: RuleBasedStateMachine) -> None:
    """Weights and (derandomized) no swarm testing for the machine's rule draws (CheckedMachine's docstring).

    This reaches into hypothesis internals (the version is pinned in pyproject.toml, as for `fixed_constants`):
    `RuleStrategy` draws the step's rule from `_enabled_rules_strategy` (a sampled_from of the rules filtered by
    their preconditions and the example's feature flags, drawn from `enabled_rules_strategy`). A rule listed n
    times is drawn n times as often; a FeatureFlags made without data enables every rule and draws nothing.
    """
    weights: dict[str, int] = getattr(machine, "RULE_WEIGHTS", {})
    uniform = getattr(machine, "UNIFORM_RULES", False) and not FUZZ
    if not weights and not uniform:
        return
    strategy: Any = machine._rules_strategy
    if uniform:
        strategy.enabled_rules_strategy = st.just(FeatureFlags())
    weighted = [rule for rule in strategy.rules for _ in range(weights.get(rule.function.__name__, 1))]
    strategy._enabled_rules_strategy = st.sampled_from(weighted).filter(strategy._rule_is_enabled)


# The checker after every step walks every shard of every list and pool (about 200 Queries with the
# shipped counts). The machines run the shipped sharded code for a tenant created with FEW_LIST_SHARDS per
# list and FEW_COUNTER_SHARDS per counter (pools, stock, offer usage): its own settings, no module globals
# patched; a step's check costs a quarter. More than one list shard keeps the scatter-gather merge in play;
# the larger counts are exercised by tests/unit/test_sharded.py, test_partitions*.py and the integration suite.
FEW_LIST_SHARDS = 4
FEW_COUNTER_SHARDS = 4


class SeededEntropy:
    """Stands in for the random sources of loyalty.ids (os.urandom) and loyalty.codes (secrets.choice)
    while the machines run, restarted from one seed at the start of every example: the same steps
    then make the same ids and codes, which order lists and pick shards (hypothesis seeds the `random`
    module per example itself); `fixed_constants` does the rest for derandomized runs."""

    SEED = 18

    def __init__(self) -> None:
        self.source = random.Random(self.SEED)

    def restart(self) -> None:
        self.source.seed(self.SEED)
        ids._last[:] = [0, 0]  # the same-millisecond counter would carry one example into the next

    def urandom(self, size: int) -> bytes:
        return self.source.randbytes(size)

    def choice(self, alphabet: str) -> str:
        return self.source.choice(alphabet)


ENTROPY = SeededEntropy()


@contextmanager
def fixed_constants() -> Iterator[None]:
    """Hypothesis draws about 1 in 20 integers (and strings) from the constants in the source of every
    project module imported so far (not test files): which those are depends on what the process ran
    before (other tests in the xdist worker, modules imported lazily by an earlier run), so the same
    derandomized machine drew other steps in another process. Without them (the library's own
    constants stay) a derandomized run draws the same steps whatever the process imported. This
    reaches into hypothesis internals (pinned in pyproject.toml): an upgrade that moves them fails here."""
    found, cache = providers._get_local_constants, providers.CONSTANTS_CACHE
    providers._get_local_constants = providers.Constants  # no project constants
    cache.cache.clear()  # permitted constants per range, project ones among them
    try:
        yield
    finally:
        providers._get_local_constants = found
        cache.cache.clear()


@contextmanager
def machine_settings() -> Iterator[None]:
    """One job worker: the jobs settle on a thread pool, and moto (the embedded table)
    is not safe under concurrent threads (two settles of one member's lots both committed, a lost
    update seen as a flaky expiry total), and what the jobs do is the same on one worker; and ids
    and codes from ENTROPY (as `os` in loyalty.ids and `secrets` in loyalty.codes, nowhere else)."""
    workers, sources = jobs.WORKERS, (ids.os, codes.secrets)
    try:
        jobs.WORKERS = 1
        ids.os, codes.secrets = ENTROPY, ENTROPY  # type: ignore[assignment]
        yield
    finally:
        jobs.WORKERS = workers
        ids.os, codes.secrets = sources


def run_machine(
    machine: type[CheckedMachine],
    examples: int,
    steps: tuple[int, int],
    floors: dict[str, int] | None = None,
    refusal_floors: dict[str, int] | None = None,
    **extra: Any,
) -> list[int]:
    """Run until `examples` examples of at least the minimum steps (hypothesis may abandon a few).

    `floors`: the least number of successes of each named rule in CI's run (scaled to the examples
    run), so that a rule that came to refuse every call fails the test; `refusal_floors` the same
    for refusals by code (limits, caps, stock and dates reached). Under LOYALTY_FUZZ, random seeds
    and more examples (`fuzz_examples`).
    """
    wanted = fuzz_examples(examples)
    machine.runs, machine.successes, machine.refusals = [], Counter(), Counter()
    with machine_settings(), nullcontext() if FUZZ else fixed_constants():
        _run(machine, wanted, steps, **extra)
    full = [count for count in machine.runs if count >= steps[0]]
    name = machine.__name__
    print(f"\n{name}: {len(full)} examples of {min(full)} to {max(full)} steps ({len(machine.runs)} started)")
    for kind, counts in (("successes", machine.successes), ("refusals", machine.refusals)):
        print(f"{name} {kind}: " + ", ".join(f"{what}={n}" for what, n in sorted(counts.items())))
    assert len(full) >= wanted
    short = {
        f"{kind} {what}": counts[what]
        for kind, counts, least_of in (
            ("successes", machine.successes, floors),
            ("refusals", machine.refusals, refusal_floors),
        )
        for what, least in (least_of or {}).items()
        if counts[what] < least * wanted // examples
    }
    assert not short, f"fewer than their floors {floors} {refusal_floors}: {short}"
    return full


def _run(machine: type[CheckedMachine], examples: int, steps: tuple[int, int], **extra: Any) -> None:
    if FUZZ:
        extra["derandomize"] = False
    elif os.environ.get("LOYALTY_MACHINE_EXAMPLES"):  # a quick local check: a failure as found, not shrunk
        extra["phases"] = [Phase.explicit, Phase.reuse, Phase.generate]
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=examples + 5,
            stateful_step_count=steps[1],
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            **extra,
        ),
        _min_steps=steps[0],
    )
