"""A hypothesis state machine over vouchers alone (the ledger machine mixes the same rules in among
all its others, and each example enables only some rules): issue, preload codes, redeem, cancel,
retries with the same Idempotency-Key, time moving past activation, expiry and the offer's end;
every answer is the one the model predicts and the ledger checker runs after every step."""

from __future__ import annotations

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import rule
from loyalty.models.members import MemberCreate
from loyalty.services import members

from tests.support.machines import TENANT, CheckedMachine, caller, run_machine, valid
from tests.unit.voucher_rules import VoucherRules

EXAMPLES, STEPS = 25, 25


class VoucherMachine(VoucherRules, CheckedMachine):
    def __init__(self) -> None:
        super().__init__()
        self.members = [
            members.create_member(caller(), valid(MemberCreate, {"email": f"v{i}@example.com"}))["memberId"]
            for i in range(3)
        ]
        self.setup_vouchers(TENANT)

    @rule(days=st.integers(0, 30), hours=st.integers(0, 23))
    def time_passes(self, days: int, hours: int) -> None:
        self.clock.advance(days=days, hours=hours)


@pytest.mark.slow
@pytest.mark.usefixtures("fresh_table")
def test_voucher_state_machine() -> None:
    run_machine(VoucherMachine, EXAMPLES, (STEPS, STEPS))
