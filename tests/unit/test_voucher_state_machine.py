"""A hypothesis state machine over vouchers alone (the ledger machine mixes the same rules in with
every ledger rule, where each example enables only some rules): issue, preload codes, redeem,
cancel, retries with the same Idempotency-Key and time moving past activation and expiry dates,
with every answer predicted by the model and the ledger checker after every step."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from loyalty import cache, clock
from loyalty.models.members import MEMBER_CREATE
from loyalty.operation import Caller
from loyalty.services import checker, members, tenants

from tests.unit.voucher_rules import VoucherRules
from tools.local import embedded_dynamodb

TENANT = "vsm"
EXAMPLES, STEPS = 25, 25
runs: list[int] = []


class VoucherMachine(VoucherRules, RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        embedded_dynamodb.reset()
        cache.clear()
        self.clock = clock.FrozenClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
        clock.use(self.clock)
        tenants.create_tenant(TENANT, "Voucher machine")
        self.members = [
            members.create_member(Caller(TENANT, admin=True), MEMBER_CREATE.validate({"email": f"v{i}@example.com"}))[
                "memberId"
            ]
            for i in range(3)
        ]
        self.setup_vouchers(TENANT)
        self.steps = 0

    @rule(days=st.integers(0, 30), hours=st.integers(0, 23))
    def time_passes(self, days: int, hours: int) -> None:
        self.clock.advance(days=days, hours=hours)

    @invariant()
    def ledger_is_right(self) -> None:
        self.steps += 1
        report = checker.check([TENANT])
        assert report["problems"] == [], report["problems"]

    def teardown(self) -> None:
        runs.append(self.steps - 1)
        clock.reset()
        cache.clear()


@pytest.mark.slow
@pytest.mark.usefixtures("fresh_table")
def test_voucher_state_machine() -> None:
    runs.clear()
    run_state_machine_as_test(
        VoucherMachine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
        _min_steps=STEPS,
    )
    print(f"\nvoucher state machine: {len(runs)} examples of {min(runs)} to {max(runs)} steps")
