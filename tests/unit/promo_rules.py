"""Reward grants and promo codes for the ledger state machine (issue 25), each outcome predicted by
tests/support/ledger_model.py's `grant` and `Promos`.

Grants: a member is given a reward (the coupon most, every reward now and then: an inactive one, one
outside its dates, one for the gold tier, a limited one), now and then cancelled (with or without
refund: nothing to refund) or completed; the model counts the stock and no member limit. Promo codes:
a shared code limited to 2 uses per member and 5 in all, one open only between two dates, and a
single-use pool on a capped activity (no per-member limit), typed in any case; the pool topped up
(codes known to any promotion skipped), a promotion disabled and enabled again. Each use's transaction
must be the model's award; the checker (its promo part: counters against the ledger) runs after every step.
"""

from __future__ import annotations

import itertools

from hypothesis import strategies as st
from hypothesis.stateful import rule
from loyalty.models.promo_codes import PromoCodeCreate, PromoCodesAdd, PromoCodeUpdate, PromoCodeUse
from loyalty.models.rewards import RewardGrantCreate
from loyalty.services import promo_code_uses, promo_codes, reward_grants

from tests.support.ledger_model import OK, Expect, Promo, Promos, Redemption, grant
from tests.support.machines import MachineHost, caller, valid

PROMOS = [
    {"code": "SHARED", "activityId": "visit", "maxUsesPerMember": 2, "maxUsesTotal": 5},
    {"code": "DATED", "activityId": "bonus", "startDate": "2026-01-06T00:00:00Z", "endDate": "2026-01-08T12:00:00Z"},
    {"code": "POOL", "activityId": "checkin", "singleUse": True, "maxUsesPerMember": None},
]
TYPED = ("shared", "SHARED", "dated", "pool-code", "pool-code", "pool-code", "used-code", "POOL", "NOSUCH")


class PromoRules(MachineHost):
    """Mixed into the ledger machine: `setup_promos()` from its __init__ (after its activities exist)."""

    def setup_promos(self) -> None:
        self.promos = Promos()
        self.promo_codes = itertools.count()
        for body in PROMOS:
            promo_codes.create(caller(), valid(PromoCodeCreate, body))
            self.promos.promos[body["code"]] = Promo(
                body["code"],
                body["activityId"],
                body.get("maxUsesPerMember", 1),
                body.get("maxUsesTotal"),
                set() if body.get("singleUse") else None,
                start=body.get("startDate"),
                end=body.get("endDate"),
            )
        self.top_up_promo(3, False)

    @rule(count=st.integers(1, 3), reuse=st.sampled_from((None, None, "pool", "shared")))
    def top_up_promo(self, count: int, reuse: str | None) -> None:
        codes = [f"p{next(self.promo_codes)}" for _ in range(count)] + {"pool": ["P0"], "shared": ["shared"]}.get(
            reuse or "", []
        )
        expect = self.promos.add_codes("POOL", codes)
        body = valid(PromoCodesAdd, {"codes": codes})
        self._call("promo_top_up", expect, lambda key: promo_codes.add_codes(caller(), "POOL", body), None, 200)

    @rule(code=st.sampled_from(("SHARED", "DATED", "POOL")), status=st.sampled_from(("active", "active", "disabled")))
    def toggle_promo(self, code: str, status: str) -> None:
        body = valid(PromoCodeUpdate, {"status": status})
        self._call("promo_update", Expect(), lambda key: promo_codes.update(caller(), code.lower(), body), None, 200)
        self.promos.promos[code].status = status

    @rule(
        m=st.sampled_from((0, 0, 1, 2)),
        typed=st.sampled_from(TYPED),
        keyed=st.booleans(),
        lower=st.booleans(),
        ready=st.sampled_from((True, True, False)),
    )
    def use_promo(self, m: int, typed: str, keyed: bool, lower: bool, ready: bool) -> None:
        """A member types a code: the shared one, the dated one, a pool code (waiting or used), a pool's name, none.
        With `ready` (a steer toward uses that succeed): the member made active, the promotion enabled again if
        it was disabled, the pool topped up with a code if none is waiting."""
        member_id, pool = self.members[m], self.promos.promos["POOL"]
        if ready:
            self._activate(member_id)
            if typed == "pool-code" and not pool.pool:
                self.top_up_promo(1, None)
            promo = self.promos.find(min(pool.pool or {"NOSUCH"}) if typed == "pool-code" else typed)
            if promo is not None and promo.status != "active":
                self.toggle_promo(promo.code, "active")
        if typed == "pool-code":
            typed = min(pool.pool or {"NOSUCH"})
        elif typed == "used-code":
            typed = min(pool.used or {"NOSUCH"})
        typed = typed.lower() if lower else typed.upper()
        expect, promo = self.promos.use(self.model, member_id, typed, self.clock.current)
        body = {"code": typed}
        answer = Expect(expect.code, {"memberId": member_id, "code": typed.upper()} if expect.code == OK else {})
        data = self._call(
            f"promo_{(promo.code if promo else 'unknown').lower()}",
            answer,
            lambda key: promo_code_uses.use(caller(key, body), member_id, valid(PromoCodeUse, body)),
            self._key(keyed, "promo"),
        )
        if data is not None:
            assert promo is not None and data["promoCode"] == promo.code, data
            self._check_award(data["transactionId"], expect)

    @rule(
        m=st.sampled_from((0, 0, 1, 2)),
        reward_id=st.sampled_from(("coffee", "coffee", "coffee", "mug", "lounge", "seasonal", "draft", "daily")),
        keyed=st.booleans(),
        fund=st.booleans(),
        then=st.sampled_from((None, None, "complete", "cancel", "refund")),
    )
    def grant_reward(self, m: int, reward_id: str, keyed: bool, fund: bool, then: str | None) -> None:
        """An admin gives a member a reward without points (with `fund`: the member active, a code in the pool)."""
        member_id, body = self.members[m], {"rewardId": reward_id, "reason": "service recovery"}
        if fund:
            self._activate(member_id)
            if self.model.rewards[reward_id]["fulfillment"] == "coupon" and not self.model.codes_available:
                self.top_up_pool(1, False)
        expect = grant(self.model, member_id, reward_id, self.clock.current)
        data = self._call(
            "grant",
            expect,
            lambda key: reward_grants.grant(caller(key, body), member_id, valid(RewardGrantCreate, body)),
            self._key(keyed, "grant"),
        )
        if data is None:
            return
        coupon = data["couponCode"]
        assert coupon is None or (coupon in self.model.codes and coupon not in self.handed), data
        self.handed.add(coupon)
        self.model.redemptions[data["redemptionId"]] = Redemption(member_id, reward_id, 0, data["status"])
        if then:
            self._settle(data["redemptionId"], then == "complete" and data["status"] == "pending", then == "refund")
