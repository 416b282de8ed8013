"""Voucher rules for the state machines, each call's outcome predicted by tests/support/voucher_model.py.

One offer (one, to keep the checker's work per step small): limited to 3 vouchers per member and
12 in total, ending on 2026-06-30. It generates codes until the machine first tops up its pool
(reusing known codes on purpose), and takes pooled codes from then on, until `out_of_stock`. Time
moves with the machine's other rules, so vouchers expire and the offer ends; the checker runs after
every step (the machine's invariant), and every answer must be the one the model predicts: the
status or refusal code, the voucher's fields, the pool's stock and the offer's redemptionCount.

A machine may add offers (`add_voucher_offer`, each with its own model) and, with `check_wallets`, walk
the wallet (`GET /members/{id}/vouchers`) of each member a step touched: every voucher issued to the
member across the offers, newest first, with the `status` filter, page after page by `nextToken`.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule
from loyalty import clock, jsontext
from loyalty.errors import ApiError
from loyalty.models.offers import OfferCreate
from loyalty.models.vouchers import VOUCHER_STATUSES, VoucherCodesAdd, VoucherIssue, VoucherListQuery, VoucherRedeem
from loyalty.operation import Caller
from loyalty.repository import offers as offers_db
from loyalty.repository import store
from loyalty.repository import vouchers as vouchers_db
from loyalty.services import offers, vouchers

from tests.support.machines import MachineHost
from tests.support.voucher_model import OK, VoucherModel

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
# narrowed validity: (days from today to activationDate, days it lasts); (0, 0) is today only
NARROW = st.sampled_from([None, None, (0, 0), (0, 0), (0, 1), (1, 0)]) | st.tuples(
    st.integers(0, 10), st.integers(0, 30)
)


# page sizes of the wallet walks, one after the other (no draws: the rules' draws stay those of the ledger machine)
WALLET_LIMITS = (1, 2, 1, 3, 100)


def _caller(tenant_id: str, key: str | None, what: Any) -> Caller:
    return Caller(tenant_id, key, jsontext.digest(what) if key else "", admin=True)


class VoucherRules(MachineHost):
    """Mixed into a CheckedMachine: `setup_vouchers()` from its __init__, the rules below, and
    `member_status()` from the machine (what its own model says of a member); what else it uses of the
    machine is declared in MachineHost (tests/support/machines.py)."""

    check_wallets = False  # walk the wallet of each member a step touched (the voucher machine does)

    def member_status(self, member_id: str) -> str:
        raise NotImplementedError

    def member_name(self, member_id: str) -> str | None:
        """The name a member's voucher carries ("first last" of the member, None without names)."""
        return None

    def setup_vouchers(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id
        self.offer_models: dict[str, VoucherModel] = {}  # offerId → its model, in the order created
        self.offer_id = self.add_voucher_offer(OFFER)
        self.vouchers = self.offer_models[self.offer_id]
        self.v_counter = itertools.count()
        self.issue_order: list[str] = []  # voucherIds in the order issued, every offer
        self.wallet_limits = itertools.cycle(WALLET_LIMITS)

    def add_voucher_offer(self, body: dict[str, Any]) -> str:
        """Create an offer vouchers are issued from, with its own model; its offerId."""
        created = offers.create_offer(_caller(self.tenant_id, None, None), OfferCreate.model_validate(body))
        self.offer_models[created["offerId"]] = VoucherModel(body)
        return str(created["offerId"])

    def model_of(self, voucher_id: str) -> VoucherModel:
        return next(model for model in self.offer_models.values() if voucher_id in model.vouchers)

    def all_vouchers(self) -> dict[str, dict[str, Any]]:
        """Every voucher of every offer, by id (the first offer's first: issue order within each)."""
        return {v_id: v for model in self.offer_models.values() for v_id, v in model.vouchers.items()}

    def _voucher_call(self, expected: str, call: Any, key: str | None, status: int) -> Any:
        """Run a call that must answer `expected` ("ok" or the refusal code); keyed successes join the
        machine's replays (`sent`), refusals are counted by code."""
        try:
            data = call(key)
        except ApiError as error:
            assert error.code == expected, (error.code, error.message, expected, self.clock.current)
            self.refused(error.code)
            return None
        assert expected == OK, ("succeeded", data, expected, self.clock.current)
        if key:
            self.sent.append((call, key, self.clock.current, status, data))
        return data

    def _check_stock(self, offer_id: str) -> None:
        """The pool's stock and the offer's redemptionCount (vouchers issued) are the model's."""
        model = self.offer_models[offer_id]
        offer = store.get(offers_db.offer_key(self.tenant_id, offer_id))
        assert offer is not None and vouchers_db.read_stock(self.tenant_id, offer) == model.stock
        stored = offers.get_offer(self.tenant_id, offer_id)["redemptionCount"]
        assert stored == sum(model.issued.values()), (stored, model.issued)

    @rule(m=st.none() | st.integers(0, 2), narrow=NARROW, keyed=st.booleans())
    def issue_voucher(self, m: int | None, narrow: tuple[int, int] | None, keyed: bool) -> None:
        self.issue_from(self.offer_id, m, narrow, keyed)

    def issue_from(
        self, offer_id: str, m: int | None, narrow: tuple[int, int] | None, keyed: bool
    ) -> dict[str, Any] | None:
        """Issue a voucher of `offer_id` to member slot `m` (None: a named customer); the voucher, or None
        when refused as the model predicts."""
        model = self.offer_models[offer_id]
        member = None if m is None else self.members[m]
        customer = None if member else f"Customer {m}"
        body: dict[str, Any] = {"memberId": member} if member else {"customerName": customer}
        activation, expiration = model.offer["startDate"][:10], model.offer["endDate"][:10]
        now = clock.iso(clock.now())
        if narrow:
            today = date.fromisoformat(now[:10])
            activation = (today + timedelta(days=narrow[0])).isoformat()
            expiration = (today + timedelta(days=narrow[0] + narrow[1])).isoformat()
            body.update(activationDate=activation, expirationDate=expiration)
        status = self.member_status(member) if member else "active"
        expected = model.issue(member, status, activation, expiration, now)
        checked = VoucherIssue.model_validate(body)
        data = self._voucher_call(
            expected,
            lambda key: vouchers.issue(_caller(self.tenant_id, key, ("issue", body)), offer_id, checked),
            f"voucher-{next(self.v_counter)}" if keyed else None,
            201,
        )
        if data is not None:
            name = self.member_name(member) if member else customer
            wanted = model.expected_voucher(member, name, activation, expiration, now)
            assert {name: data[name] for name in wanted} == wanted, (data, wanted)
            pooled = model.issued_one(data)
            if self.issue_order:  # ids sort by issue time: the time part of a later voucher's id is not earlier
                assert data["voucherId"][:10] >= self.issue_order[-1][:10], (data["voucherId"], self.issue_order[-1])
            self.issue_order.append(data["voucherId"])
            self.succeeded("voucher_issue")
            self.succeeded("voucher_issue_pooled", pooled)
            if member:
                self.check_wallet(member)
        self._check_stock(offer_id)
        return data

    @rule(count=st.integers(1, 3), reuse=st.booleans())
    def add_voucher_codes(self, count: int, reuse: bool) -> None:
        fresh = [f"VC-{next(self.v_counter):05d}" for _ in range(count)]
        # a code known already, in an order that does not depend on the server's codes (hypothesis replays)
        known = [v["redemptionCode"] for v in self.vouchers.vouchers.values()][:1] or sorted(self.vouchers.codes)[:1]
        codes = fresh + (known if reuse else [])
        expected = self.vouchers.add_codes(codes)
        body = VoucherCodesAdd.model_validate({"codes": codes})
        data = vouchers.add_codes(_caller(self.tenant_id, None, None), self.offer_id, body)
        assert data == expected, (data, expected)
        self.succeeded("voucher_add_codes")

    @precondition(lambda self: self.vouchers.vouchers)
    @rule(
        data=st.data(),
        redeem=st.sampled_from([True, True, True, False]),
        by_code=st.booleans(),
        stale=st.sampled_from([False, False, False, True]),
        keyed=st.booleans(),
    )
    def move_voucher(self, data: st.DataObject, redeem: bool, by_code: bool, stale: bool, keyed: bool) -> None:
        """Redeem or cancel a voucher still acquired (now and then one that is not), by id or by code."""
        candidates = [  # issue order within each offer: replayable
            voucher_id
            for voucher_id, voucher in self.all_vouchers().items()
            if (voucher["status"] == "acquired") != stale
        ]
        if candidates:
            self.move(data.draw(st.sampled_from(candidates)), redeem, by_code, keyed)

    def move(self, voucher_id: str, redeem: bool, by_code: bool, keyed: bool) -> None:
        """Redeem or cancel a voucher by its id or code; the answer, and the voucher after, the model's."""
        model = self.model_of(voucher_id)
        voucher = model.vouchers[voucher_id]
        ref = voucher["redemptionCode"] if by_code else voucher_id
        now = clock.iso(clock.now())
        expected = model.move(voucher_id, redeem, now[:10])
        order_id = f"order-{next(self.v_counter)}"
        body = VoucherRedeem.model_validate({"orderId": order_id})

        def call(key: str | None) -> Any:
            who = _caller(self.tenant_id, key, ("move", ref, redeem, body.given()))
            return vouchers.redeem(who, ref, body) if redeem else vouchers.cancel(who, ref)

        answer = self._voucher_call(expected, call, f"move-{next(self.v_counter)}" if keyed else None, 200)
        if answer is not None:
            assert answer == model.moved(voucher_id, redeem, now, order_id), answer
            self.succeeded("voucher_redeem" if redeem else "voucher_cancel")
            self.succeeded("voucher_redeem_last_day", redeem and voucher["expirationDate"] == now[:10])
            if voucher["memberId"]:
                self.check_wallet(voucher["memberId"])
        assert vouchers.lookup(self.tenant_id, ref) == voucher

    # --- the wallet ------------------------------------------------------------------------------

    def expected_wallet(self, member_id: str) -> list[dict[str, Any]]:
        """The member's vouchers of every offer, as each must read, newest first: by voucherId, a ULID whose
        time is the issue's millisecond (held to the issue order in `issue_from`) and whose 80 random bits
        order the vouchers issued in one millisecond (a frozen clock issues many)."""
        mine = [voucher for voucher in self.all_vouchers().values() if voucher["memberId"] == member_id]
        return sorted(mine, key=lambda voucher: str(voucher["voucherId"]), reverse=True)

    def check_wallet(self, member_id: str) -> None:
        """With `check_wallets`: the member's wallet, whole and by each status, walked page after page with
        the next page size of WALLET_LIMITS, is exactly the model's, newest first."""
        if not self.check_wallets:
            return
        expected, limit = self.expected_wallet(member_id), next(self.wallet_limits)
        for status in (None, *VOUCHER_STATUSES):
            wanted = [voucher for voucher in expected if status in (None, voucher["status"])]
            found = self.walk_wallet(member_id, status, limit)
            assert found == wanted, (member_id, status, limit, [v["voucherId"] for v in found], wanted)
        self.succeeded("wallet_walked")
        self.succeeded("wallet_walked_paged", len(expected) > limit)

    def walk_wallet(self, member_id: str, status: str | None, limit: int) -> list[dict[str, Any]]:
        """Every page of the member's wallet (`status`: only those), `limit` a page, in the order served:
        no page larger than asked, no voucher twice, no more pages than the vouchers need (and one empty)."""
        found: list[dict[str, Any]] = []
        token, pages = None, 0
        while True:
            given = {"limit": limit, "status": status, "nextToken": token}
            query = VoucherListQuery.model_validate({name: value for name, value in given.items() if value})
            page = vouchers.list_member_vouchers(self.tenant_id, member_id, query)
            assert len(page.items) <= limit, (len(page.items), limit)
            found += page.items
            pages += 1
            assert pages <= len(found) // limit + 1, (pages, len(found), limit)
            if not page.next_token:
                break
            token = page.next_token
        ids = [voucher["voucherId"] for voucher in found]
        assert len(set(ids)) == len(ids), ids
        return found
