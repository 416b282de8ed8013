"""No hot partition when a popular offer's vouchers are issued and redeemed: every partition each write touches.

A busy tenant has two published offers, one that generates its codes and one with a preloaded pool.
Every member is issued a voucher of each (with an Idempotency-Key) and redeems both, and named
customers (no member) get and redeem vouchers of the generating offer. The partitions each write
touched are derived from the TransactWriteItems the services issued, the index definitions and
projections (tests/support/write_paths.py). No table or index partition may be shared by more than
a tenth of the holders (members, plus each named customer's voucher).

Exempt, because they are the offer's own counters and necessarily shared by whoever uses the offer:
the voucher pool's code and stock shards (`T#t#VPOOL#<offerId>#…`, 16 shards sized by rate like a
reward's pool; checked here against 80 % of a partition at 2,000 issues/s) and the offer's usage
shards (`T#t#OFFER#<offerId>#USES#<k>`, 16 partitions in no index, sized by rate: see
tests/unit/test_partitions.py). Only their table partitions are exempt: no index partition is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from loyalty import cache, clock, jsontext
from loyalty.models.common import NEXT_TOKEN_MAX
from loyalty.models.members import MemberCreate
from loyalty.models.offers import OfferCreate
from loyalty.models.vouchers import VoucherCodesAdd, VoucherIssue, VoucherListQuery, VoucherRedeem
from loyalty.operation import Caller
from loyalty.repository import cursor, sharded, store
from loyalty.repository import members as members_db
from loyalty.repository import offers as offers_db
from loyalty.repository import vouchers as vouchers_db
from loyalty.repository import wallet as wallet_db
from loyalty.services import checker_vouchers, members, offers, program, tenants, vouchers

from tests.support.write_paths import TABLE, Touch, recording

pytestmark = [pytest.mark.usefixtures("fresh_table"), pytest.mark.slow]

# Enough holders that a 1/32 hash shard stays far below a tenth in every run (see test_partitions.py).
TENANT, MEMBERS, CUSTOMERS = "busy", 240, 80
ISSUES_PER_SECOND, PARTITION_WCU = 2_000, 1_000
Writes = dict[str, list[tuple[dict[str, Any], list[Touch]]]]  # (the voucher, its touches)


def caller(key: str | None = None, what: Any = None) -> Caller:
    return Caller(TENANT, key, jsontext.digest(what) if key else "", admin=True)


def _offer(code: str) -> str:
    body = {
        "offerCode": code,
        "name": code,
        "rewardType": "amount",
        "offerAmount": "5.00",
        "status": "published",
        "startDate": "2026-01-01T00:00:00Z",
        "endDate": "2026-12-31T23:59:59Z",
    }
    return str(offers.create_offer(caller(), OfferCreate.model_validate(body))["offerId"])


def _reset() -> None:
    from tools.local import embedded_dynamodb

    embedded_dynamodb.reset()
    cache.clear()
    program.forget_cache()


def _busy_tenant() -> tuple[str, str, list[str]]:
    """A fresh tenant with a generating offer, a pooled offer (a code per member) and its members."""
    _reset()
    tenants.create_tenant(TENANT, "A busy tenant", lists=sharded.SHARDS)
    generated, pooled = _offer("GENERATED"), _offer("POOLED")
    codes = {"codes": [f"VCODE-{i:05d}" for i in range(MEMBERS)]}
    vouchers.add_codes(caller(), pooled, VoucherCodesAdd.model_validate(codes))
    member_ids = [
        members.create_member(caller(), MemberCreate.model_validate({"email": f"m{i}@example.com"}))["memberId"]
        for i in range(MEMBERS)
    ]
    return generated, pooled, member_ids


def _recorded(service: Any, *args: Any) -> tuple[dict[str, Any], list[Touch]]:
    with recording() as calls:
        answer = service(*args)
    (touched,) = calls
    return answer, touched


@pytest.fixture(scope="module")
def scene() -> tuple[str, str, Writes]:
    """The two offers and the partition writes of every issue and redeem, by operation: (voucher, touches)."""
    clock.use(clock.FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)))
    generated, pooled, member_ids = _busy_tenant()
    found: Writes = defaultdict(list)
    holders = [({"memberId": member_id}, "") for member_id in member_ids]
    holders += [({"customerName": f"Customer {i}"}, "customer ") for i in range(CUSTOMERS)]
    try:
        for i, (whom, kind) in enumerate(holders):
            for offer_id, name in ((generated, "generated"), (pooled, "pooled")):
                if kind and offer_id == pooled:
                    continue  # the pool holds a code per member
                body = VoucherIssue.model_validate(whom)
                voucher, touched = _recorded(vouchers.issue, caller(f"{name}-{i}", whom), offer_id, body)
                found[f"{kind}{name} issue"].append((voucher, touched))
                redeem = VoucherRedeem.model_validate({"orderId": f"order-{name}-{i}"})
                # by id and by code alike
                id_or_code = voucher["voucherId"] if i % 2 else voucher["redemptionCode"]
                _, touched = _recorded(
                    vouchers.redeem, caller(f"redeem-{name}-{i}", redeem.given()), id_or_code, redeem
                )
                found[f"{kind}{name} redeem"].append((voucher, touched))
    finally:
        clock.reset()
    return generated, pooled, found


def _offer_counters(tenant: str, offer_ids: tuple[str, ...]) -> Callable[[str, str], bool]:
    """Whether a write's (where, partition) is one of the offers' own counters (table partitions only):
    their voucher pools' shards and their usage shards."""
    offers = [{"offerId": offer_id} for offer_id in offer_ids]  # the bases do not depend on the shard counts
    owned = tuple(
        f"{counter.base}#" for o in offers for counter in (offers_db.usage(tenant, o), vouchers_db.pool(tenant, o))
    )
    return lambda where, partition: where == TABLE and partition.startswith(owned)


def test_every_operation_was_captured_for_every_holder(scene):
    _, _, writes = scene
    assert {name: len(done) for name, done in writes.items()} == {
        "generated issue": MEMBERS,
        "generated redeem": MEMBERS,
        "pooled issue": MEMBERS,
        "pooled redeem": MEMBERS,
        "customer generated issue": CUSTOMERS,
        "customer generated redeem": CUSTOMERS,
    }
    issue_writes = {touch.where for _, touched in writes["pooled issue"] for touch in touched}
    assert issue_writes == {TABLE, "gsi1", "gsi2", "gsi3"}  # the voucher's lists, its guard's, its code lookup


def test_no_partition_is_shared_by_more_than_a_tenth_of_the_holders(scene):
    generated, pooled, writes = scene
    sharers: dict[tuple[str, str], set[str]] = defaultdict(set)
    own_counter = _offer_counters(TENANT, (generated, pooled))
    for done in writes.values():
        for voucher, touched in done:
            for touch in touched:
                if not own_counter(touch.where, touch.partition):
                    sharers[(touch.where, touch.partition)].add(_holder(voucher))
    crowded = {place: len(who) for place, who in sharers.items() if len(who) > (MEMBERS + CUSTOMERS) // 10}
    assert crowded == {}


def _holder(voucher: dict[str, Any]) -> str:
    """Whom a voucher's writes count for: its member, else (a named customer) the voucher itself."""
    return str(voucher["memberId"] or voucher["voucherId"])


def test_a_voucher_is_listed_in_its_holders_shard_and_its_guard_in_its_codes(scene):
    """Each write lists a voucher in one shard of each of the offer's lists, its holder's; its guard in its code's."""
    generated, pooled, writes = scene
    for offer_id, name in ((generated, "generated"), (pooled, "pooled")):
        status_list, offer_list = vouchers_db.by_status(TENANT, offer_id), vouchers_db.of_offer(TENANT, offer_id)
        guard_list = vouchers_db.guards_of_offer(TENANT, offer_id)
        for operation in ("issue", "redeem"):
            for voucher, touched in writes[f"{name} {operation}"]:
                shard = sharded.shard_of(_holder(voucher))
                expected = {("gsi1", status_list.partition(shard)), ("gsi2", offer_list.partition(shard))}
                if operation == "issue":  # the guard gets its voucherId (pooled) or is new (generated)
                    expected.add(("gsi2", guard_list.partition(sharded.shard_of(voucher["redemptionCode"]))))
                    expected.add(("gsi3", store.partition_of(vouchers_db.guard_key(TENANT, voucher["redemptionCode"]))))
                expected.add(("gsi1", wallet_db.by_status(TENANT, voucher["memberId"]).partition))
                listed = {(t.where, t.partition) for t in touched if t.where != TABLE}
                assert listed == expected


def test_a_wallet_entry_is_written_only_in_its_own_members_partition(scene):
    """Each issue and move of a member's voucher writes its wallet entry in the member's partition and the
    member's by-status list; a named customer's voucher writes no wallet; no wallet list is written for
    two members."""
    _, _, writes = scene
    writers: dict[str, set[str]] = defaultdict(set)
    for name, done in writes.items():
        for voucher, touched in done:
            places = {(t.where, t.partition) for t in touched}
            wallets = {p for where, p in places if where == "gsi1" and p.endswith(f"#{wallet_db.ENTRY}")}
            if name.startswith("customer"):
                assert wallets == set(), name
                continue
            member_id = voucher["memberId"]
            assert wallets == {wallet_db.by_status(TENANT, member_id).partition}, name
            assert (TABLE, members_db.partition(TENANT, member_id)) in places, name
            for partition in wallets:
                writers[partition].add(member_id)
    assert len(writers) == MEMBERS and all(len(who) == 1 for who in writers.values())


def test_a_popular_offers_pool_takes_its_issues_at_the_target_rate(scene):
    """All 2,000 issues/s on the pooled offer: each pool and stock shard below 80 % of 1,000 WCU/s."""
    _, pooled, writes = scene
    wcu: dict[tuple[str, str], int] = defaultdict(int)
    pool = vouchers_db.pool(TENANT, {"offerId": pooled})  # its base (any shard count)
    for _, touched in writes["pooled issue"]:
        for touch in touched:
            if touch.partition.startswith(pool.base + "#"):
                wcu[(touch.where, touch.partition)] += touch.wcu
    assert wcu and all(where == TABLE for where, _ in wcu)  # a pool's shards are in no index
    per_second = {place: total * ISSUES_PER_SECOND / MEMBERS for place, total in wcu.items()}
    assert max(per_second.values()) <= PARTITION_WCU * 0.8, per_second


def _all_pages(offer_id: str, status: str | None, limit: int) -> list[str]:
    query: dict[str, Any] = {"limit": limit, **({"status": status} if status else {})}
    seen: list[str] = []
    while True:
        page = vouchers.list_offer_vouchers(TENANT, offer_id, VoucherListQuery.model_validate(query))
        seen += [voucher["voucherId"] for voucher in page.items]
        if page.next_token is None:
            return seen
        query["nextToken"] = page.next_token
        assert len(seen) < 1000


def test_an_offers_vouchers_page_newest_first_across_the_shards_by_status_or_all():
    """Members holding several vouchers (one shard each) and named customers; pages by status are key conditions."""
    clock.use(clock.FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)))
    _reset()
    tenants.create_tenant(TENANT, "A busy tenant", lists=sharded.SHARDS)
    offer_id = _offer("PAGED")
    member_ids = [
        members.create_member(caller(), MemberCreate.model_validate({"email": f"p{i}@example.com"}))["memberId"]
        for i in range(6)
    ]
    holders = [{"memberId": member_id} for member_id in member_ids for _ in range(4)]
    holders += [{"customerName": f"Customer {i}"} for i in range(40)]
    statuses: dict[str, list[str]] = defaultdict(list)
    for i, whom in enumerate(holders):
        voucher_id = vouchers.issue(caller(), offer_id, VoucherIssue.model_validate(whom))["voucherId"]
        if i % 2:
            vouchers.redeem(caller(), voucher_id, VoucherRedeem())
        elif i % 3 == 0:
            vouchers.cancel(caller(), voucher_id)
        statuses[vouchers.lookup(TENANT, voucher_id)["status"]].append(voucher_id)
    newest = {status: sorted(ids, reverse=True) for status, ids in statuses.items()}
    assert set(newest) == {"acquired", "redeemed", "cancelled"}
    assert _all_pages(offer_id, None, 7) == sorted((i for ids in statuses.values() for i in ids), reverse=True)
    for status, expected in newest.items():
        assert _all_pages(offer_id, status, 5) == expected
    assert checker_vouchers.check_vouchers(TENANT)[0] == []


def test_the_longest_cursor_of_a_page_by_status_fits_a_next_token():
    """Every shard's position is `<status>#<voucherId>`: 32 of the longest status still fit nextToken's limit."""
    positions = ",".join(f"cancelled#{'Z' * 26}" for _ in range(sharded.SHARDS))
    query_id = cursor.query_id("vouchers:O", {"status": "cancelled"})
    assert len(cursor.encode(TENANT, query_id, {"at": positions})) <= NEXT_TOKEN_MAX
