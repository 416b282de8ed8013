"""The README's walkthrough, pasted twice on the kept data: each run gets the outcomes its comments state, the same
outcomes both times, and leaves no file git would show."""

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.walkthrough import (
    Command,
    Outcome,
    commands,
    run,
    stated_body,
    stated_error,
    stated_status,
    walkthrough_blocks,
)
from tools.local import dynamodb_local

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(dynamodb_local.unavailable_reason() is not None, reason="the walkthrough needs DynamoDB Local"),
    pytest.mark.skipif(shutil.which("curl") is None or shutil.which("make") is None, reason="needs curl and make"),
]


# What the comments that state no status or body say, checked on the command's outcome (and the run's outcomes
# so far); a new comment in the walkthrough needs its check here, so the README cannot say what is not so.
def _member_offers(outcome: Outcome, earlier: list[tuple[Command, Outcome]]) -> bool:
    made = [o for c, o in earlier if c.text.endswith("$API/offers") and o.statuses[0] == 201]
    created = [o.json["data"]["offerCode"] for o in made]
    listed = {offer["offerCode"]: offer for offer in outcome.json["data"]}
    fields = ("activated", "daysRemaining", "redemptionsLeft")
    return len(created) == 2 and all(code in listed and all(f in listed[code] for f in fields) for code in created)


def _eligible_coffee(outcome: Outcome, earlier: list[tuple[Command, Outcome]]) -> bool:
    made = [o.json["data"]["rewardId"] for c, o in earlier if c.text.endswith("$API/rewards")]
    listed = {reward["rewardId"]: reward for reward in outcome.json["data"]}
    return bool(made) and made[-1] in listed and listed[made[-1]]["eligible"] is True


PROSE: dict[str, Callable[[Outcome, list[tuple[Command, Outcome]]], Any]] = {
    "wait until the API answers": lambda o, _: o.statuses[-1] == 401,  # it answers; the wait sends no key
    "119 points": lambda o, _: o.json["data"]["pointsAwarded"] == 119,
    "60 points back": lambda o, _: o.json["data"]["points"] == 60,  # the 29.95 left keeps floor(59.9)
    "created inactive (seed 001)": lambda o, _: o.json["data"]["isActive"] is False,
    "what the member can redeem: the coffee": _eligible_coffee,
    "added 2, skipped 1": lambda o, _: (o.json["data"]["added"], o.json["data"]["skipped"]) == (2, 1),
    "50 points and one code": lambda o, _: o.json["data"]["points"] == 50 and o.json["data"]["couponCode"],
    "the scheduled jobs, by hand: 400 days on, today's points have expired": lambda o, _: o.json["points"] > 0,
    "both, with activated / daysRemaining / redemptionsLeft": _member_offers,
    "rewardAmount 5.00": lambda o, _: o.json["data"]["rewardAmount"] == "5.00",
    "100 points, in the ledger": lambda o, _: o.json["data"]["points"] == 100 and o.json["data"]["transactionId"],
    "redemptions and their offers": lambda o, _: o.json["data"]["redemptions"] and o.json["data"]["offers"],
    "the point-of-sale lookup by code": lambda o, _: o.json["data"]["status"] == "acquired",
    "acquired → redeemed": lambda o, _: o.json["data"]["status"] == "redeemed",
    "the ledger checker: exit status 1 on any problem": lambda o, _: o.json["problems"] == [],
    "or `kill %1`; the data stays in .local/": lambda o, _: o.out.strip().endswith("stopped"),
}


@pytest.fixture(autouse=True)
def on_dynamodb_local():
    """Not this process's engine: the walkthrough runs `make serve`, which starts its own."""
    yield


def _check(step: Command, outcome: Outcome, earlier: list[tuple[Command, Outcome]]) -> None:
    """The outcome the step's comments state; without one, a command that succeeds (2xx, exit status 0)."""
    said = " ".join(step.comments)
    assert outcome.rc == 0, (step.text, outcome)
    status = stated_status(said) if said else None
    if status is not None:
        assert outcome.statuses[-1:] == [status], (step.text, outcome)
        assert outcome.json["error"]["code"] == stated_error(said), (step.text, outcome)
    else:
        assert all(200 <= s < 300 for s in outcome.statuses) or said in PROSE, (step.text, outcome)
    for comment in step.comments:
        if stated_body(comment) is not None:
            assert outcome.json == stated_body(comment), (step.text, outcome)
        elif stated_status(comment) is None:
            assert comment in PROSE, f"the walkthrough says {comment!r}: add its check to PROSE"
            assert PROSE[comment](outcome, earlier), (comment, step.text, outcome)


def _git_status() -> str | None:
    if not (ROOT / ".git").exists():
        return None
    return subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout


def test_the_walkthrough_pasted_twice_states_true_outcomes_and_leaves_no_file(tmp_path):
    steps = [step for block in walkthrough_blocks((ROOT / "README.md").read_text()) for step in commands(block)]
    assert len(steps) > 30 and any(s.text.startswith("make serve") for s in steps), "the walkthrough was not found"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MAKE")) and k not in ("TABLE_NAME",)}
    env.update(PORT=str(dynamodb_local.free_port()), LOYALTY_LOCAL_DIR=str(tmp_path / "local"))
    log = ROOT / "serve.log"
    kept = log.read_bytes() if log.exists() else None
    before = _git_status()
    runs = []
    try:
        for _ in range(2):
            started = time.monotonic()
            runs.append(run(ROOT, steps, env, timeout=300))
            print(f"walkthrough run: {time.monotonic() - started:.1f} s")
            served = log.read_text()
            assert "Traceback" not in served and '"_aws"' not in served, served[-2000:]
        after = _git_status()
    finally:
        if kept is None:
            log.unlink(missing_ok=True)
        else:
            log.write_bytes(kept)
    for outcomes in runs:
        earlier: list[tuple[Command, Outcome]] = []
        for step, outcome in zip(steps, outcomes, strict=True):
            _check(step, outcome, earlier)
            earlier.append((step, outcome))
    first, second = ([o.statuses[-1:] for o in outcomes] for outcomes in runs)
    assert first == second, [(s.text, a, b) for s, a, b in zip(steps, first, second, strict=True) if a != b]
    assert after == before, f"the walkthrough left files git shows:\n{after}"
