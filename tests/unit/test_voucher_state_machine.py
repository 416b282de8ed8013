"""A hypothesis state machine over vouchers alone (the ledger machine mixes the same rules in among
all its others, and each example enables only some rules): issue, preload codes, redeem, cancel,
unknown codes and ids, members suspended and back, retries with the same Idempotency-Key, time
moving past activation, expiry and the offer's end, the code pool drained and asked again; every
answer is the one the model (tests/support/voucher_model.py) predicts, the ledger checker runs after
every step, and each rule has a floor of successes in CI's derandomized run.

Vouchers of two offers land in named members' wallets; after each issue, redeem, cancel and erasure the
member's wallet (`GET /members/{id}/vouchers`), whole and by status, walked page after page with page
sizes 1, 2, 1, 3 and 100 in turn, is exactly the model's vouchers of the member, newest first (the
checker, after every step, holds each entry to its voucher and finds entries of no voucher)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule
from loyalty.models.members import MemberCreate, MemberUpdate
from loyalty.models.vouchers import VoucherRedeem
from loyalty.services import members, vouchers

from tests.support.machines import TENANT, CheckedMachine, caller, run_machine, valid
from tests.unit.voucher_rules import NARROW, OFFER, TOTAL, VoucherRules

EXAMPLES, STEPS = 25, 25
# Fewer than these in CI's derandomized run fail the test: about half of the counts of the run of 2026-12-06
# (docs/testing.md), which repeats exactly (tests/support/machines.py).
FLOORS = {
    "erase": 62,
    "set_status": 31,
    "voucher_add_codes": 36,
    "voucher_cancel": 8,
    "voucher_issue": 92,
    "voucher_issue_pooled": 35,
    "voucher_issue_second_offer": 40,
    "voucher_redeem": 13,
    "voucher_redeem_last_day": 7,
    "wallet_walked": 130,
    "wallet_walked_paged": 14,
}
REFUSAL_FLOORS = {
    "invalid_state": 63,
    "offer_limit_reached": 6,
    "out_of_stock": 64,
    "voucher_expired": 7,
    "voucher_not_active": 1,
}
# a second offer, running longer and without a total, so a wallet holds vouchers of both
SECOND_OFFER = {
    **OFFER,
    "offerCode": "SECOND",
    "name": "Ten off",
    "offerAmount": "10.00",
    "endDate": "2026-12-31T23:59:59Z",
    "maxRedemptionsPerMember": 4,
    "maxRedemptionsTotal": None,
}


class VoucherMachine(VoucherRules, CheckedMachine):
    check_wallets = True

    def __init__(self) -> None:
        super().__init__()
        self.names: dict[str, str | None] = {}
        self.statuses: dict[str, str] = {}
        self.members = [self._new_member() for _ in range(3)]
        self.setup_vouchers(TENANT)
        self.second_offer = self.add_voucher_offer(SECOND_OFFER)

    def _new_member(self) -> str:
        n = len(self.names)
        body = {"email": f"v{n}@example.com", "firstName": f"Vera{n}", "lastName": "Member"}
        member_id = str(members.create_member(caller(), valid(MemberCreate, body))["memberId"])
        self.names[member_id], self.statuses[member_id] = f"Vera{n} Member", "active"
        return member_id

    def member_status(self, member_id: str) -> str:
        return self.statuses[member_id]

    def member_name(self, member_id: str) -> str | None:
        return self.names[member_id]

    @rule(m=st.integers(0, 2), narrow=NARROW, keyed=st.booleans())
    def issue_second_offer(self, m: int, narrow: tuple[int, int] | None, keyed: bool) -> None:
        """A voucher of the second offer to a member: its wallet holds both offers' vouchers."""
        if self.issue_from(self.second_offer, m, narrow, keyed) is not None:
            self.succeeded("voucher_issue_second_offer")

    @rule(m=st.integers(0, 2))
    def erase(self, m: int) -> None:
        """Erasure blanks the name on the member's vouchers and its wallet entries, which stay; the erased
        member takes no more vouchers; a new member takes the slot so the machine goes on."""
        member_id = self.members[m]
        erased = members.erase_member(caller(), member_id)
        assert erased["status"] == "erased", erased
        self.names[member_id], self.statuses[member_id] = None, "erased"
        answers = [sent[4] for sent in self.sent]  # a replay of an issue or move answers the name blanked too
        for voucher in [*self.all_vouchers().values(), *answers]:
            if voucher.get("memberId") == member_id and "customerName" in voucher:
                voucher["customerName"] = None
        self.check_wallet(member_id)
        self.issue_from(self.offer_id, m, None, False)  # refused: invalid_state
        self.members[m] = self._new_member()
        self.succeeded("erase")

    @rule(days=st.sampled_from([0, 0, 1, 2, 7, 30]), hours=st.integers(0, 23))
    def time_passes(self, days: int, hours: int) -> None:
        self.clock.advance(days=days, hours=hours)

    @precondition(lambda self: self.vouchers.vouchers)
    @rule(data=st.data(), edge=st.sampled_from(["last", "last", "after", "before"]), by_code=st.booleans())
    def redeem_at_edge(self, data: st.DataObject, edge: str, by_code: bool) -> None:
        """The clock to 23:30 UTC on the last day of an acquired voucher (or 00:30 the day after, or
        23:30 the day before its activationDate), if that is ahead and within a month, and redeem it."""
        now = self.clock.current
        targets = {}
        for voucher_id, voucher in self.all_vouchers().items():  # issue order within each offer: replayable
            day = date.fromisoformat(voucher["activationDate" if edge == "before" else "expirationDate"])
            at = datetime(day.year, day.month, day.day, 23, 30, tzinfo=UTC) + timedelta(
                hours={"last": 0, "after": 1, "before": -24}[edge]
            )
            if voucher["status"] == "acquired" and now <= at <= now + timedelta(days=31):
                targets[voucher_id] = at
        if not targets:
            return
        voucher_id = data.draw(st.sampled_from(list(targets)))
        self.clock.current = targets[voucher_id]
        self.move(voucher_id, True, by_code, False)

    @precondition(
        lambda self: self.vouchers.pooled and sum(self.vouchers.issued.values()) + self.vouchers.available < TOTAL
    )
    @rule()
    def drain_pool(self) -> None:
        """Issue to named customers until the pool is empty and once more: the last is `out_of_stock`
        (while the offer runs and its total limit is not reached first, as the precondition asks)."""
        for _ in range(self.vouchers.available + 1):
            self.issue_voucher(m=None, narrow=None, keyed=False)

    @rule(m=st.integers(0, 2), status=st.sampled_from(["active", "active", "active", "suspended"]))
    def set_status(self, m: int, status: str) -> None:
        """A member suspended (takes no vouchers; the ones held still move) or active again."""
        member_id = self.members[m]
        answer = members.update_member(caller(), member_id, valid(MemberUpdate, {"status": status}))
        assert answer["status"] == status, answer
        self.statuses[member_id] = status
        self.succeeded("set_status")

    @rule(unknown=st.sampled_from(["NO-SUCH-CODE", "01KZZZZZZZZZZZZZZZZZZZZZZZ"]), redeem=st.booleans())
    def move_unknown_voucher(self, unknown: str, redeem: bool) -> None:
        """An unknown code or id: 404 not_found, the same either way."""
        body = valid(VoucherRedeem, {"orderId": "order-x"})
        who = caller()
        self._voucher_call(
            "not_found",
            lambda key: vouchers.redeem(who, unknown, body) if redeem else vouchers.cancel(who, unknown),
            None,
            200,
        )


@pytest.mark.slow
@pytest.mark.early
@pytest.mark.usefixtures("fresh_table")
def test_voucher_state_machine() -> None:
    run_machine(VoucherMachine, EXAMPLES, (STEPS, STEPS), FLOORS, REFUSAL_FLOORS, derandomize=True)
