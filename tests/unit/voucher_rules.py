"""Voucher rules for the ledger state machine, each call's outcome predicted from a model of the vouchers.

Two offers: `gen` generates codes, ends on 2026-04-30 and is limited (2 per member, 6 in total);
`pooled` takes codes from a pool that the machine tops up (reusing known codes on purpose). Time
moves with the machine's other rules, so vouchers expire and `gen` ends; the checker runs after
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
from loyalty.models.offers import OFFER_CREATE
from loyalty.models.vouchers import VOUCHER_CODES_ADD, VOUCHER_ISSUE, VOUCHER_REDEEM
from loyalty.operation import Caller, Replayed
from loyalty.services import offers, vouchers

OFFERS = {
    "gen": {
        "offerCode": "GEN",
        "startDate": "2026-01-01T00:00:00Z",
        "endDate": "2026-04-30T23:59:59Z",
        "maxRedemptionsPerMember": 2,
        "maxRedemptionsTotal": 6,
    },
    "pooled": {"offerCode": "POOLED", "startDate": "2026-01-01T00:00:00Z"},
}
PER_MEMBER, TOTAL = 2, 6


def _caller(tenant_id: str, key: str | None, what: Any) -> Caller:
    return Caller(tenant_id, key, jsontext.digest(what) if key else "", admin=True)


class VoucherRules:
    """Mixed into the ledger machine: `setup_vouchers()` from its __init__, the rules below."""

    tenant_id: str
    members: list[str]
    clock: Any

    def setup_vouchers(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id
        self.offer_ids: dict[str, str] = {}
        for name, fields in OFFERS.items():
            body = {"name": name, "rewardType": "amount", "offerAmount": "5.00", "status": "published", **fields}
            created = offers.create_offer(_caller(tenant_id, None, None), OFFER_CREATE.validate(body))
            self.offer_ids[name] = created["offerId"]
        self.v_model: dict[str, dict[str, Any]] = {}  # voucherId → what the voucher must be
        self.v_uses: Counter[tuple[str, str | None]] = Counter()
        self.v_pool_codes: set[str] = set()  # every code ever added (pooled or issued)
        self.v_available = 0
        self.v_sent: list[tuple[Any, str, Any, Any]] = []  # (call, key, when, first answer)
        self.v_counter = itertools.count()

    def _voucher_call(self, call: Any, key: str | None) -> tuple[str, Any]:
        """('ok', data) or (error code, None); replays are recorded for `retry_voucher_call`."""
        try:
            data = call(key)
        except ApiError as error:
            return error.code, None
        if key:
            self.v_sent.append((call, key, self.clock.current, data))
        return "ok", data

    def _today(self) -> str:
        return clock.day(clock.now())

    def _expected_issue(self, name: str, member: str | None, activation: str, expiration: str | None) -> str:
        today, now = self._today(), clock.iso(clock.now())
        offer = OFFERS[name]
        if offer.get("endDate") and now > offer["endDate"]:
            return "offer_not_active"
        end = (offer.get("endDate") or "")[:10]
        if (end and expiration and expiration > end) or (expiration and expiration < max(activation, today)):
            return "validation_error"
        if name == "gen" and member is not None and self.v_uses[(name, member)] >= PER_MEMBER:
            return "offer_limit_reached"
        if name == "gen" and sum(n for (o, _), n in self.v_uses.items() if o == name) >= TOTAL:
            return "offer_limit_reached"
        if name == "pooled" and self.v_pool_codes and self.v_available == 0:
            return "out_of_stock"
        return "ok"

    @rule(
        name=st.sampled_from(sorted(OFFERS)),
        m=st.none() | st.integers(0, 2),
        narrow=st.none() | st.tuples(st.integers(0, 10), st.integers(0, 140)),
        keyed=st.booleans(),
    )
    def issue_voucher(self, name: str, m: int | None, narrow: tuple[int, int] | None, keyed: bool) -> None:
        member = None if m is None else self.members[m]
        body: dict[str, Any] = {"memberId": member} if member else {"customerName": f"Customer {m}"}
        today = date.fromisoformat(self._today())
        activation = OFFERS[name]["startDate"][:10]
        expiration = (OFFERS[name].get("endDate") or "")[:10] or None
        if narrow:
            activation = (today + timedelta(days=narrow[0])).isoformat()
            expiration = (today + timedelta(days=narrow[0] + narrow[1])).isoformat()
            body.update(activationDate=activation, expirationDate=expiration)
        expected = self._expected_issue(name, member, activation, expiration)
        offer_id = self.offer_ids[name]
        checked = VOUCHER_ISSUE.validate(body)
        outcome, data = self._voucher_call(
            lambda key: vouchers.issue(_caller(self.tenant_id, key, ("issue", offer_id, body)), offer_id, checked),
            f"voucher-{next(self.v_counter)}" if keyed else None,
        )
        assert outcome == expected, (outcome, expected, name, body)
        if data is None:
            return
        assert (data["activationDate"], data["expirationDate"]) == (activation, expiration)
        self.v_uses[(name, member)] += 1
        if name == "pooled" and self.v_pool_codes:
            assert data["redemptionCode"] in self.v_pool_codes
            self.v_available -= 1
        self.v_model[data["voucherId"]] = {**data}

    @rule(count=st.integers(1, 3), reuse=st.booleans())
    def add_voucher_codes(self, count: int, reuse: bool) -> None:
        fresh = [f"VC-{next(self.v_counter):05d}" for _ in range(count)]
        known = sorted(self.v_pool_codes | {v["redemptionCode"] for v in self.v_model.values()})[:1] if reuse else []
        body = VOUCHER_CODES_ADD.validate({"codes": fresh + known})
        data = vouchers.add_codes(_caller(self.tenant_id, None, None), self.offer_ids["pooled"], body)
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
        voucher = self.v_model[data.draw(st.sampled_from(sorted(self.v_model)))]
        ref = voucher["redemptionCode"] if by_code else voucher["voucherId"]
        expected = self._expected_move(voucher, redeem)
        body = VOUCHER_REDEEM.validate({"orderId": f"order-{next(self.v_counter)}"})

        def call(key: str | None) -> Any:
            who = _caller(self.tenant_id, key, ("move", ref, redeem, body))
            return vouchers.redeem(who, ref, body) if redeem else vouchers.cancel(who, ref)

        outcome, answer = self._voucher_call(call, f"move-{next(self.v_counter)}" if keyed else None)
        assert outcome == expected, (outcome, expected, voucher, self._today())
        if answer is not None:
            assert answer["status"] == ("redeemed" if redeem else "cancelled")
            voucher.update(answer)
        assert vouchers.lookup(self.tenant_id, ref) == voucher

    @rule(data=st.data())
    def retry_voucher_call(self, data: st.DataObject) -> None:
        """The same Idempotency-Key within 24 h replays the first answer and changes nothing."""
        recent = [sent for sent in self.v_sent if self.clock.current - sent[2] < timedelta(hours=23)]
        if not recent:
            return
        call, key, _, first = data.draw(st.sampled_from(recent))
        try:
            call(key)
        except Replayed as replay:
            assert replay.body == jsontext.envelope(first)
        else:
            raise AssertionError("a retry with the same Idempotency-Key was not replayed")
