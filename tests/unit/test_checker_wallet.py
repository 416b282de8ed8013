"""The checker holds each member's wallet to exactly its vouchers: one kind of damage planted at a time
(an entry missing, stale in its status, its by-status key or another attribute, an entry of no voucher,
of a named customer's voucher, of another member's voucher) is reported as that kind and nothing else."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from loyalty import clock
from loyalty.models.members import MemberCreate
from loyalty.models.types import checked
from loyalty.models.vouchers import VoucherIssue, VoucherRedeem
from loyalty.operation import Caller
from loyalty.repository import store, wallet
from loyalty.repository.table import PER_PARENT
from loyalty.services import checker, members, tenants, vouchers

from tests.unit.test_vouchers import published_offer

pytestmark = pytest.mark.usefixtures("fresh_table")
TENANT = "wc"
MISSING = "a member's voucher missing from the member's wallet"
STATUS = "a wallet entry whose status differs from its voucher's"
DIFFERS = "a wallet entry that differs from its voucher"
EXTRA = "a wallet entry of no voucher of the member"


def _caller() -> Caller:
    return Caller(TENANT, admin=True)


@pytest.fixture
def scene() -> dict[str, Any]:
    """Two members with a voucher each of two offers (ada's first redeemed), a named customer's voucher."""
    tenants.create_tenant(TENANT, "Wallet checker")
    clock.use(clock.FrozenClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC)))
    for offer_id in ("O1", "O2"):
        published_offer(offer_id, tenant=TENANT)
    ada, bob = (
        members.create_member(_caller(), checked(MemberCreate, {"email": f"{name}@example.com"}))["memberId"]
        for name in ("ada", "bob")
    )

    def issue(offer_id: str, **body: Any) -> dict[str, Any]:
        return vouchers.issue(_caller(), offer_id, VoucherIssue.model_validate(body))

    scene = {
        "ada": ada,
        "bob": bob,
        "ada_vouchers": [issue("O1", memberId=ada), issue("O2", memberId=ada)],
        "bob_voucher": issue("O1", memberId=bob),
        "walk_in": issue("O2", customerName="Walk-in"),
    }
    vouchers.redeem(_caller(), scene["ada_vouchers"][0]["voucherId"], VoucherRedeem.model_validate({"orderId": "o-1"}))
    assert checker.check([TENANT])["problems"] == []
    return scene


def _entry(member_id: str, voucher: dict[str, Any]) -> store.Key[Any]:
    return wallet.entry_key(TENANT, member_id, voucher["voucherId"])


def _copy_into(member_id: str, voucher: dict[str, Any], **changes: Any) -> None:
    """A whole entry for `voucher` planted in `member_id`'s wallet (as a faulty write would leave it)."""
    shown = {**voucher, **changes}
    item = store.get(wallet.entry_key(TENANT, str(voucher["memberId"]), voucher["voucherId"])) or {}
    status_key = store.index_entry(
        PER_PARENT, wallet.by_status(TENANT, member_id).partition, f"{shown['status']}#{shown['voucherId']}"
    )
    planted = {**item, **{name: shown.get(name) for name in wallet.FIELDS}, **status_key}
    store.transact([store.put_new({**planted, **wallet.entry_key(TENANT, member_id, shown["voucherId"])})])


DAMAGE: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "entry deleted": (
        lambda s: store.transact([store.delete(_entry(s["ada"], s["ada_vouchers"][1]))]),
        MISSING,
    ),
    "status not followed": (
        lambda s: store.transact(
            [store.update(_entry(s["ada"], s["ada_vouchers"][0]), set_values={"status": "acquired"})]
        ),
        STATUS,
    ),
    "by-status key not followed": (
        lambda s: store.transact(
            [
                store.update(
                    _entry(s["ada"], s["ada_vouchers"][0]),
                    set_values={"gsi1sk": f"acquired#{s['ada_vouchers'][0]['voucherId']}"},
                )
            ]
        ),
        STATUS,
    ),
    "another attribute stale": (
        lambda s: store.transact(
            [store.update(_entry(s["ada"], s["ada_vouchers"][0]), set_values={"orderId": "o-other"})]
        ),
        DIFFERS,
    ),
    "entry of no voucher": (
        lambda s: _copy_into(s["ada"], s["ada_vouchers"][1], voucherId="01KZZZZZZZZZZZZZZZZZZZZZZZ"),
        EXTRA,
    ),
    "entry of a named customer's voucher": (
        lambda s: _copy_into(s["ada"], {**s["walk_in"], "memberId": s["ada"]}),
        EXTRA,
    ),
    "entry of another member's voucher": (lambda s: _copy_into(s["ada"], s["bob_voucher"]), EXTRA),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_each_kind_of_wallet_damage_is_reported_as_that_kind(scene: dict[str, Any], damage: str) -> None:
    plant, problem = DAMAGE[damage]
    plant(scene)
    found = checker.check([TENANT])["problems"]
    assert [p["problem"] for p in found] == [problem], found
    assert all(p.get("memberId") == scene["ada"] for p in found), found
