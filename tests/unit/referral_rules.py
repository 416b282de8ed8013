"""Referral rules for the ledger state machine, each outcome predicted by tests/support/ledger_model.py's
`Referrals`: the referrer earns `birthday` (capped at 1 a year, so its award is often skipped), the referee
`photo` (manual: a pending award the machine's other rules approve or reject), within 30 days of the
referee's enrolment. The referee is one of the machine's three members or one enrolled for the referral
(so that most referrals fall inside the window). A referral names the code of one of the machine's
members, of an erased member, or no member's; the answer, each award's transaction and both members'
`referredBy` / `referralCount` must be the model's (the checker runs after every step as well).
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule
from loyalty import clock
from loyalty.models.program import ProgramUpdate
from loyalty.models.referrals import ReferralCreate
from loyalty.repository import members as members_db
from loyalty.repository import store
from loyalty.services import program, referrals, transactions

from tests.support.ledger_model import Expect, Referrals
from tests.support.machines import TENANT, MachineHost, caller, valid

REFERRER_ACTIVITY, REFEREE_ACTIVITY, WINDOW_DAYS = "birthday", "photo", 30


class ReferralRules(MachineHost):
    """Mixed into the ledger machine: `setup_referrals()` from its __init__ (after its activities exist)."""

    def setup_referrals(self) -> None:
        settings = {
            "referrerActivityId": REFERRER_ACTIVITY,
            "refereeActivityId": REFEREE_ACTIVITY,
            "referralWindowDays": WINDOW_DAYS,
        }
        program.update_program(caller(), valid(ProgramUpdate, settings))
        self.referrals = Referrals(REFERRER_ACTIVITY, REFEREE_ACTIVITY, WINDOW_DAYS)

    @rule(
        referee=st.sampled_from((0, 1, 2, "new", "new", "new")),
        referrer=st.sampled_from((0, 0, 0, 1, 2, "erased", "unknown")),
        lower=st.booleans(),
        keyed=st.booleans(),
    )
    def refer(self, referee: int | str, referrer: int | str, lower: bool, keyed: bool) -> None:
        """A member referred by a member's code (a member enrolled now, within its window, more often than not)."""
        referee_id = self.members[referee] if isinstance(referee, int) else self._new_member()
        erased = [m for m, member in self.model.members.items() if member.status == "erased"]
        referrer_id = self.members[referrer] if isinstance(referrer, int) else (erased or [None])[-1]
        if referrer == "unknown":
            referrer_id = None
        stored = store.get_many([members_db.key(TENANT, m) for m in (referee_id, referrer_id or referee_id)])
        referee_item, referrer_item = (item for item in stored if item is not None)
        code = referrer_item["referralCode"] if referrer_id else "NOSUCHCODE"
        body = {"referralCode": code.lower() if lower else code}
        expect, grants = self.referrals.refer(
            self.model, referee_id, referrer_id, clock.parse_iso(referee_item["createdAt"]), self.clock.current
        )
        data = self._call(
            "refer",
            expect,
            lambda key: referrals.refer(caller(key, body), referee_id, valid(ReferralCreate, body)),
            self._key(keyed, "refer"),
        )
        if data is None:
            return
        assert len(data["transactionIds"]) == len(grants), (data, grants)
        for transaction_id, granted in zip(data["transactionIds"], grants, strict=True):
            self._check_award(transaction_id, granted)
        self.succeeded("refer_awarded", len(grants))
        self.succeeded("refer_skipped", 2 - len(grants))

    def _check_award(self, transaction_id: str, granted: Expect) -> None:
        entry = transactions.get_transaction(TENANT, transaction_id)
        wrong = {name: (entry.get(name), value) for name, value in granted.fields.items() if entry.get(name) != value}
        assert not wrong, ("referral award (stored, predicted)", wrong)
        if granted.award is not None:
            self.model.awards[transaction_id] = granted.award

    @invariant()
    def referrals_are_modelled(self) -> None:
        """Each member's `referralCount` and `referredBy` are the model's."""
        if not hasattr(self, "referrals"):
            return
        ids = list(self.model.members)
        for member_id, item in zip(ids, store.get_many([members_db.key(TENANT, m) for m in ids]), strict=True):
            assert item is not None
            referred = self.referrals.referred_by.get(member_id)
            stored = (item.get("referralCount", 0), item.get("referredBy"))
            wanted = (self.referrals.counts[member_id], referred and {"memberId": referred[0], "at": referred[1]})
            assert stored == wanted, (member_id, stored, wanted)
