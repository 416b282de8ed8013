"""Voucher services on a fresh table: the code generator, collisions retried, expiry by the clock, the checker."""

from collections import Counter
from datetime import UTC, datetime

import pytest
from loyalty import clock, codes
from loyalty.errors import Conflict, NotFound
from loyalty.models.members import MemberCreate
from loyalty.models.vouchers import VoucherCodesAdd, VoucherIssue, VoucherListQuery, VoucherRedeem
from loyalty.operation import Caller
from loyalty.repository import offers as offers_repo
from loyalty.repository import store, wallet
from loyalty.repository import vouchers as repo
from loyalty.services import checker_vouchers, members, tenants, vouchers

pytestmark = pytest.mark.usefixtures("fresh_table")
TENANT = "vt"


def caller(tenant=TENANT):
    return Caller(tenant, admin=True)


def published_offer(offer_id="O1", tenant=TENANT, **fields):
    """A published offer written straight to the table (no route): the vouchers' tests' and the wallet checker's."""
    offer = {
        "offerId": offer_id,
        "offerCode": f"CODE-{offer_id}",
        "status": "published",
        "startDate": "2026-01-01T00:00:00Z",
        "endDate": "2026-12-31T23:59:59Z",
        "maxRedemptionsTotal": None,
        "maxRedemptionsPerMember": None,
        "version": 0,
        **fields,
    }
    store.transact(offers_repo.create_items(tenant, offer))
    return offer_id


def issue(offer_id="O1", tenant=TENANT, **body):
    body = body or {"customerName": "Ada"}
    return vouchers.issue(caller(tenant), offer_id, VoucherIssue.model_validate(body))


@pytest.fixture(autouse=True)
def program():
    tenants.create_tenant(TENANT, "Vouchers")
    clock.use(clock.FrozenClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC)))


def test_generated_codes_use_the_alphabet_without_look_alikes_uniformly():
    assert not set("0O1IL") & set(codes.ALPHABET) and len(set(codes.ALPHABET)) == 30
    drawn = [codes.generate() for _ in range(3000)]
    assert all(len(code) == codes.LENGTH == 14 for code in drawn) and len(set(drawn)) == len(drawn)
    counts = Counter("".join(drawn))
    expected = len(drawn) * codes.LENGTH / len(codes.ALPHABET)  # 1,400 a character
    assert set(counts) == set(codes.ALPHABET)
    assert all(abs(n - expected) < 0.2 * expected for n in counts.values()), counts
    assert round(codes.BITS, 1) == 68.7
    assert codes.looks_like_id("01ARZ3NDEKTSV4RRFFQ69G5FAV") and not codes.looks_like_id(drawn[0])


def test_a_generated_code_that_collides_is_detected_and_replaced(monkeypatch):
    published_offer()
    taken = issue()["redemptionCode"]
    also_taken = issue()["redemptionCode"]
    fresh = iter([taken, also_taken, "FRESHCODE23456"])
    monkeypatch.setattr(codes, "generate", lambda: next(fresh))
    again = issue()
    assert again["redemptionCode"] == "FRESHCODE23456"
    assert vouchers.lookup(TENANT, taken)["voucherId"] != again["voucherId"]
    assert checker_vouchers.check_vouchers(TENANT)[0] == []


def test_a_pooled_code_collides_with_generated_ones_across_offers():
    published_offer("O1")
    published_offer("O2")
    code = issue("O1")["redemptionCode"]
    body = {"codes": [code, "OTHER-1"]}
    added = vouchers.add_codes(caller(), "O2", VoucherCodesAdd.model_validate(body))
    assert (added["added"], added["skipped"]) == (1, 1)
    assert issue("O2")["redemptionCode"] == "OTHER-1"
    assert checker_vouchers.check_vouchers(TENANT)[0] == []


def test_expiry_and_activation_follow_the_clock():
    published_offer()
    frozen = clock.FrozenClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    clock.use(frozen)
    soon = issue(activationDate="2026-03-02", expirationDate="2026-03-03", customerName="A")
    with pytest.raises(Conflict) as refused:
        vouchers.redeem(caller(), soon["voucherId"], VoucherRedeem())
    assert refused.value.code == "voucher_not_active"
    frozen.advance(days=3)  # 2026-03-04: one day past expirationDate
    with pytest.raises(Conflict) as refused:
        vouchers.redeem(caller(), soon["redemptionCode"], VoucherRedeem())
    assert refused.value.code == "voucher_expired"
    assert vouchers.cancel(caller(), soon["voucherId"])["status"] == "cancelled"
    frozen.advance(days=400)  # the offer ended: no more vouchers
    with pytest.raises(Conflict) as refused:
        issue()
    assert refused.value.code == "offer_not_active"
    assert checker_vouchers.check_vouchers(TENANT)[0] == []


def test_last_day_of_a_voucher_is_still_redeemable():
    published_offer()
    frozen = clock.FrozenClock(datetime(2026, 3, 1, 0, 0, tzinfo=UTC))
    clock.use(frozen)
    voucher = issue(expirationDate="2026-03-01", customerName="A")
    frozen.advance(hours=23, minutes=59, seconds=59)
    redeemed = vouchers.redeem(caller(), voucher["voucherId"], VoucherRedeem())
    assert redeemed["status"] == "redeemed"


def test_the_checker_reports_tampered_vouchers_pools_and_guards():
    published_offer()
    body = {"codes": ["POOL-0001", "POOL-0002", "POOL-0003"]}
    vouchers.add_codes(caller(), "O1", VoucherCodesAdd.model_validate(body))
    first, second = issue(), issue()
    assert checker_vouchers.check_vouchers(TENANT)[0] == []
    key = repo.voucher_key(TENANT, first["voucherId"])
    store.transact([store.update(key, set_values={"status": "redeemed"})])  # status moved, index not
    pool = repo.pool(TENANT, store.get(offers_repo.offer_key(TENANT, "O1")))
    store.transact([pool.stock.add(0, {"available": 1, "total": 1})])
    store.transact([store.update(repo.guard_key(TENANT, second["redemptionCode"]), remove=["voucherId"])])
    problems = {p["problem"] for p in checker_vouchers.check_vouchers(TENANT)[0]}
    assert {
        "a voucher not in exactly one state",
        "available differs from the codes in the pool",
        "a voucher whose code is not bound to it",
        "issued differs from the codes handed out",
        "pool entries differ from the codes waiting in the pool",
    } <= problems, problems


def test_a_move_by_code_that_loses_its_race_decides_again_on_the_voucher_read_by_id(monkeypatch):
    """The lookup's item serves the first attempt only: after a lost race the answer comes from the current state."""
    published_offer()
    voucher = issue()
    lookup = repo.by_code

    def overtaken(tenant_id, code):
        found = lookup(tenant_id, code)
        vouchers.cancel(caller(), found["voucherId"])  # another request moves it before this one writes
        return found

    monkeypatch.setattr(repo, "by_code", overtaken)
    with pytest.raises(Conflict) as refused:
        vouchers.redeem(caller(), voucher["redemptionCode"], VoucherRedeem())
    assert refused.value.code == "voucher_cancelled"
    assert repo.get(TENANT, voucher["voucherId"])["status"] == "cancelled"


WALLETS = "vw"  # the wallet tests' own tenant, made inside each test: enrolling members needs its program


def wallets():
    tenants.create_tenant(WALLETS, "Wallets")
    published_offer("O1", tenant=WALLETS)
    published_offer("O2", tenant=WALLETS)


def _member(member_id):
    body = {"externalId": member_id, "email": f"{member_id}@example.com", "firstName": member_id.title()}
    return members.create_member(caller(WALLETS), MemberCreate.model_validate(body))["memberId"]


def _wallet(member_id, status=None, limit=None, token=None):
    given = {"status": status, "limit": limit, "nextToken": token}
    query = VoucherListQuery.model_validate({name: value for name, value in given.items() if value is not None})
    return vouchers.list_member_vouchers(WALLETS, member_id, query)


def test_a_member_s_wallet_lists_its_vouchers_newest_first_by_status_page_by_page():
    """The wallet route's service: the member's vouchers only, newest first, `status` filtering, pages joined by
    nextToken; a member without vouchers has an empty page, an unknown member is a 404."""
    wallets()
    ada, bo = _member("ada"), _member("bo")
    issued = []
    for minute, (offer, member) in enumerate([("O1", ada), ("O2", ada), ("O1", bo), ("O1", ada)]):
        clock.use(clock.FrozenClock(datetime(2026, 3, 1, 12, minute + 1, tzinfo=UTC)))
        issued.append((member, issue(offer, WALLETS, memberId=member)["voucherId"]))
    ada_ids = [voucher for member, voucher in issued if member == ada][::-1]  # newest first
    vouchers.redeem(caller(WALLETS), ada_ids[1], VoucherRedeem.model_validate({}))

    whole = _wallet(ada)
    assert [v["voucherId"] for v in whole.items] == ada_ids and whole.next_token is None
    assert [v["status"] for v in whole.items] == ["acquired", "redeemed", "acquired"]
    assert all(v["memberId"] == ada for v in whole.items)
    acquired = _wallet(ada, status="acquired")
    assert [v["voucherId"] for v in acquired.items] == [ada_ids[0], ada_ids[2]]
    assert [v["voucherId"] for v in _wallet(ada, status="redeemed").items] == [ada_ids[1]]
    assert _wallet(ada, status="cancelled").items == []

    walked, token = [], None
    for _ in range(4):
        page = _wallet(ada, limit=1, token=token)
        assert len(page.items) <= 1
        walked += [v["voucherId"] for v in page.items]
        token = page.next_token
        if token is None:
            break
    assert walked == ada_ids and token is None

    assert [v["voucherId"] for v in _wallet(bo).items] == [issued[2][1]]
    assert _wallet(_member("cy")).items == []
    with pytest.raises(NotFound, match="member does not exist"):
        _wallet("nobody")


def test_the_wallet_backfill_writes_each_missing_entry_once_and_nothing_the_second_time(monkeypatch):
    """`loyalty backfill-wallet`: every voucher issued to a member gets its wallet entry back exactly as the
    voucher is; a voucher for a named customer has none; a second run writes nothing; a voucher that keeps
    changing is a 409 busy after its attempts."""
    wallets()
    ada, bo = _member("ada"), _member("bo")
    mine = [issue("O1", WALLETS, memberId=ada)["voucherId"], issue("O2", WALLETS, memberId=ada)["voucherId"]]
    theirs = issue("O1", WALLETS, memberId=bo)["voucherId"]
    issue("O1", WALLETS, customerName="Walk-in")
    vouchers.redeem(caller(WALLETS), mine[1], VoucherRedeem.model_validate({}))

    def shown():
        return {owner: [dict(v) for v in _wallet(owner).items] for owner in (ada, bo)}

    before = shown()
    store.transact(
        [store.delete(wallet.entry_key(WALLETS, owner, voucher)) for owner, voucher in [(ada, mine[0]), (ada, mine[1])]]
    )
    assert _wallet(ada).items == []

    assert vouchers.backfill_wallet(WALLETS) == {"vouchers": 3, "written": 2, "present": 1}
    assert shown() == before
    assert [v["voucherId"] for v in _wallet(ada, status="redeemed").items] == [mine[1]]
    assert checker_vouchers.check_vouchers(WALLETS)[0] == []
    assert vouchers.backfill_wallet(WALLETS) == {"vouchers": 3, "written": 0, "present": 3}
    assert theirs in {v["voucherId"] for v in _wallet(bo).items}

    store.transact([store.delete(wallet.entry_key(WALLETS, ada, mine[0]))])
    attempts = []

    def always_changed(items):
        attempts.append(items)
        raise store.ConditionFailed([0])

    monkeypatch.setattr(vouchers.store, "transact", always_changed)
    with pytest.raises(Conflict, match="kept changing") as refused:
        vouchers.backfill_wallet(WALLETS)
    assert refused.value.code == "busy" and len(attempts) == vouchers.BACKFILL_ATTEMPTS


def test_a_redemption_naming_an_offer_takes_only_that_offer_s_voucher():
    """seed 004: with `offerId`, a voucher of another offer answers the same 404 as an unknown voucher and stays
    acquired; naming its own offer redeems it."""
    published_offer("O1")
    published_offer("O2")
    voucher = issue("O1")
    for offer_id in ("O2", "no-such-offer"):
        with pytest.raises(NotFound) as error:
            vouchers.redeem(caller(), voucher["redemptionCode"], VoucherRedeem.model_validate({"offerId": offer_id}))
        assert str(error.value.message) == vouchers._UNKNOWN
    assert vouchers.get_offer_voucher(TENANT, "O1", voucher["voucherId"])["status"] == "acquired"
    redeemed = vouchers.redeem(caller(), voucher["redemptionCode"], VoucherRedeem.model_validate({"offerId": "O1"}))
    assert (redeemed["voucherId"], redeemed["status"]) == (voucher["voucherId"], "redeemed")
