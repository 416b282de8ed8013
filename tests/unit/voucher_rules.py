"""Voucher rules for the ledger state machine, each call's outcome predicted from a model of the vouchers.

One offer (one, to keep the checker's work per step small): limited to 3 vouchers per member and
12 in total, ending on 2026-06-30. It generates codes until the machine first tops up its pool
(reusing known codes on purpose), and takes pooled codes from then on, until `out_of_stock`. Time
moves with the machine's other rules, so vouchers expire and the offer ends; the checker runs after
every step (the machine's invariant), and every answer must be the one the model predicts.
"""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import rule
from loyalty import clock, jsontext
from loyalty.errors import ApiError
from loyalty.models.offers import OfferCreate
from loyalty.models.vouchers import VoucherCodesAdd, VoucherIssue, VoucherRedeem
from loyalty.operation import Caller
from loyalty.services import members, offers, vouchers

PER_MEMBER, TOTAL = 3, 12
OFFER = {
    "offerCode": "VOUCHERS",
    "name": "Five off",
    "rewardType": "amount",
    "offerAmount": "5.00",
    "status": "published",
    "startDate": "2026-01-01T00:00:00Z",
    "endDate": "2026-06-30T23:59:59Z",
    "maxRedemptionsPerMember": PER_MEMBER,
    "maxRedemptionsTotal": TOTAL,
}


def _caller(tenant_id: str, key: str | None, what: Any) -> Caller:
    return Caller(tenant_id, key, jsontext.digest(what) if key else "", admin=True)


class VoucherRules:
    """Mixed into a CheckedMachine: `setup_vouchers()` from its __init__, the rules below."""

    tenant_id: str
    members: list[str]
    clock: Any
    sent: list[tuple[Any, str, Any, int, dict[str, Any]]]  # the machine's replays (tests/support/machines.py)

    def setup_vouchers(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id
        self.offer_id = offers.create_offer(_caller(tenant_id, None, None), OfferCreate.model_validate(OFFER))[
            "offerId"
        ]
        self.v_model: dict[str, dict[str, Any]] = {}  # voucherId → what the voucher must be
        self.v_uses: Counter[str | None] = Counter()  # vouchers issued per member (None: named customers)
        self.v_pool_codes: set[str] = set()  # every code ever added (pooled or issued)
        self.v_available = 0
        self.v_counter = itertools.count()

    def _voucher_call(self, call: Any, key: str | None, status: int) -> tuple[str, Any]:
        """('ok', data) or (error code, None); keyed successes join the machine's replays (`sent`)."""
        try:
            data = call(key)
        except ApiError as error:
            return error.code, None
        if key:
            self.sent.append((call, key, self.clock.current, status, data))
        return "ok", data

    def _today(self) -> str:
        return clock.day(clock.now())

    def _expected_issue(self, member: str | None, activation: str, expiration: str) -> str:
        today, now, end = self._today(), clock.iso(clock.now()), OFFER["endDate"]
        if now > end:
            return "offer_not_active"
        if member is not None and members.load(self.tenant_id, member)["status"] != "active":
            return "invalid_state"  # a suspended or erased member takes no vouchers
        if expiration > end[:10] or expiration < max(activation, today):
            return "validation_error"
        if member is not None and self.v_uses[member] >= PER_MEMBER:
            return "offer_limit_reached"
        if sum(self.v_uses.values()) >= TOTAL:
            return "offer_limit_reached"
        if self.v_pool_codes and self.v_available == 0:
            return "out_of_stock"
        return "ok"

    @rule(
        m=st.none() | st.integers(0, 2),
        narrow=st.none() | st.tuples(st.integers(0, 10), st.integers(0, 30)),
        keyed=st.booleans(),
    )
    def issue_voucher(self, m: int | None, narrow: tuple[int, int] | None, keyed: bool) -> None:
        member = None if m is None else self.members[m]
        body: dict[str, Any] = {"memberId": member} if member else {"customerName": f"Customer {m}"}
        activation, expiration = OFFER["startDate"][:10], OFFER["endDate"][:10]
        if narrow:
            today = date.fromisoformat(self._today())
            activation = (today + timedelta(days=narrow[0])).isoformat()
            expiration = (today + timedelta(days=narrow[0] + narrow[1])).isoformat()
            body.update(activationDate=activation, expirationDate=expiration)
        expected = self._expected_issue(member, activation, expiration)
        checked = VoucherIssue.model_validate(body)
        outcome, data = self._voucher_call(
            lambda key: vouchers.issue(_caller(self.tenant_id, key, ("issue", body)), self.offer_id, checked),
            f"voucher-{next(self.v_counter)}" if keyed else None,
            201,
        )
        assert outcome == expected, (outcome, expected, body, self._today())
        if data is None:
            return
        assert (data["activationDate"], data["expirationDate"]) == (activation, expiration)
        self.v_uses[member] += 1
        if self.v_pool_codes:
            assert data["redemptionCode"] in self.v_pool_codes
            self.v_available -= 1
        self.v_model[data["voucherId"]] = {**data}

    @rule(count=st.integers(1, 3), reuse=st.booleans())
    def add_voucher_codes(self, count: int, reuse: bool) -> None:
        fresh = [f"VC-{next(self.v_counter):05d}" for _ in range(count)]
        # a code known already, in an order that does not depend on the random codes (hypothesis replays)
        known = [v["redemptionCode"] for v in self.v_model.values()][:1] or sorted(self.v_pool_codes)[:1]
        known = known if reuse else []
        body = VoucherCodesAdd.model_validate({"codes": fresh + known})
        data = vouchers.add_codes(_caller(self.tenant_id, None, None), self.offer_id, body)
        assert (data["added"], data["skipped"]) == (len(fresh), len(known)), data
        self.v_pool_codes |= set(fresh)
        self.v_available += len(fresh)
        assert data["stock"]["available"] == self.v_available

    def _expected_move(self, voucher: dict[str, Any], redeem: bool) -> str:
        if voucher["status"] == "redeemed":
            return "already_redeemed"
        if voucher["status"] == "cancelled":
            return "voucher_cancelled"
        if redeem and self._today() < voucher["activationDate"]:
            return "voucher_not_active"
        if redeem and voucher["expirationDate"] and self._today() > voucher["expirationDate"]:
            return "voucher_expired"
        return "ok"

    @rule(data=st.data(), redeem=st.booleans(), by_code=st.booleans(), keyed=st.booleans())
    def move_voucher(self, data: st.DataObject, redeem: bool, by_code: bool, keyed: bool) -> None:
        if not self.v_model:
            return
        voucher = self.v_model[data.draw(st.sampled_from(list(self.v_model)))]  # issue order: replayable
        ref = voucher["redemptionCode"] if by_code else voucher["voucherId"]
        expected = self._expected_move(voucher, redeem)
        body = VoucherRedeem.model_validate({"orderId": f"order-{next(self.v_counter)}"})

        def call(key: str | None) -> Any:
            who = _caller(self.tenant_id, key, ("move", ref, redeem, body.given()))
            return vouchers.redeem(who, ref, body) if redeem else vouchers.cancel(who, ref)

        outcome, answer = self._voucher_call(call, f"move-{next(self.v_counter)}" if keyed else None, 200)
        assert outcome == expected, (outcome, expected, voucher, self._today())
        if answer is not None:
            assert answer["status"] == ("redeemed" if redeem else "cancelled")
            voucher.update(answer)
        assert vouchers.lookup(self.tenant_id, ref) == voucher
