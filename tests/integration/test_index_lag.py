"""Right after a write, as on AWS where indexes lag: lookups by a unique value and rules across entities
read base-table items strongly consistent, so they hold while every index Query finds nothing (and the
checker sees the tier counts those rules keep)."""

import threading
from typing import Any

import pytest
from loyalty import cache
from loyalty.repository import program as program_db
from loyalty.repository import store
from loyalty.services import checker, program

from tests.support.faults import intercept
from tests.support.ledger import assert_ledger_clean
from tests.support.local import ok
from tests.support.vouchers import issued, offer

GOLD = [{"tierId": "silver", "name": "Silver", "threshold": 0}, {"tierId": "gold", "name": "Gold", "threshold": 100}]
SILVER_ONLY = GOLD[:1]


def _reward(reward_id, *tier_ids):
    return {
        "rewardId": reward_id,
        "name": reward_id,
        "pointsCost": 1,
        "fulfillment": "manual",
        "isActive": True,
        "tierIds": list(tier_ids),
    }


def _ids(reply):
    assert reply.status == 200, reply.text
    return [item["memberId"] for item in reply.data]


def test_the_mode_hides_what_the_indexes_hold(tenant, index_lag):
    """The mode is real: a list (an index Query) shows nothing of what was just written."""
    ok(201, tenant.integration.post("/members", {"email": "seen@example.com"}))
    assert _ids(tenant.read.get("/members")) == []
    assert index_lag  # the list's Queries reached the lagging index


def test_a_member_is_found_by_email_and_external_id_right_after_create_and_update(tenant, index_lag):
    created = ok(201, tenant.integration.post("/members", {"email": "Ada@Example.com", "externalId": "c-1"})).data
    m = created["memberId"]
    assert _ids(tenant.read.get("/members?email=ada@example.COM")) == [m]
    assert _ids(tenant.read.get("/members?externalId=c-1")) == [m]
    assert _ids(tenant.read.get("/members?email=ada@example.com&externalId=c-1")) == [m]
    assert _ids(tenant.read.get("/members?externalId=C-1")) == []  # externalId is exact
    ok(200, tenant.integration.patch(f"/members/{m}", {"email": "ada@new.example", "externalId": "c-2"}))
    assert _ids(tenant.read.get("/members?email=ada@new.example")) == [m]
    assert _ids(tenant.read.get("/members?externalId=c-2")) == [m]
    assert _ids(tenant.read.get("/members?email=ada@example.com")) == []
    assert _ids(tenant.read.get("/members?externalId=c-1")) == []
    other = ok(201, tenant.integration.post("/members", {"email": "bo@example.com", "externalId": "c-1"})).data
    assert _ids(tenant.read.get("/members?email=ada@new.example&externalId=c-1")) == []  # two members: none
    assert _ids(tenant.read.get("/members?externalId=c-1")) == [other["memberId"]]
    created_at = other["createdAt"]
    assert _ids(tenant.read.get(f"/members?externalId=c-1&createdFrom={created_at}")) == [other["memberId"]]
    assert _ids(tenant.read.get("/members?externalId=c-1&createdTo=2020-01-01T00:00:00Z")) == []
    ok(200, tenant.admin.delete(f"/members/{m}"))
    assert _ids(tenant.read.get("/members?email=ada@new.example")) == []


def test_a_voucher_is_found_redeemed_and_cancelled_by_code_right_after_issue(tenant, index_lag):
    offer_id = offer(tenant.admin)
    first = issued(tenant.integration, offer_id, customerName="Ada")
    code = first["redemptionCode"]
    assert ok(200, tenant.read.get(f"/vouchers/{code}")).data == first
    redeemed = ok(200, tenant.integration.post(f"/vouchers/{code}/redeem", {"orderId": "o-1"})).data
    assert redeemed["voucherId"] == first["voucherId"] and redeemed["status"] == "redeemed"
    assert tenant.integration.post(f"/vouchers/{code}/cancel").code == "already_redeemed"
    second = issued(tenant.integration, offer_id, customerName="Bo")
    cancelled = ok(200, tenant.integration.post(f"/vouchers/{second['redemptionCode']}/cancel")).data
    assert cancelled["voucherId"] == second["voucherId"] and cancelled["status"] == "cancelled"
    pooled = offer(tenant.admin)
    ok(200, tenant.admin.post(f"/offers/{pooled}/voucher-codes", {"codes": ["POOLED-CODE-1"]}))
    assert tenant.read.get("/vouchers/POOLED-CODE-1").status == 404  # in the pool, not issued yet
    third = issued(tenant.integration, pooled, customerName="Cy")
    assert ok(200, tenant.read.get("/vouchers/POOLED-CODE-1")).data == third
    assert ok(200, tenant.integration.post("/vouchers/POOLED-CODE-1/redeem", {})).data["status"] == "redeemed"


def test_a_tier_named_by_a_reward_created_a_moment_ago_is_not_removed(tenant, index_lag):
    ok(200, tenant.admin.patch("/program", {"tiers": GOLD}))
    ok(201, tenant.admin.post("/rewards", _reward("r-gold", "gold")))
    reply = tenant.admin.patch("/program", {"tiers": SILVER_ONLY})
    assert reply.status == 409 and reply.code == "invalid_state", reply.text
    ok(200, tenant.admin.patch("/rewards/r-gold", {"tierIds": ["silver"]}))  # gold is named no more
    ok(200, tenant.admin.patch("/program", {"tiers": SILVER_ONLY}))
    assert tenant.admin.patch("/program", {"tiers": []}).code == "invalid_state"  # silver is named now


def _cache_settings(tenant_id: str, settings: dict[str, Any]) -> None:
    """This container's cached settings, as another container may still hold them."""
    cache.put(("program", tenant_id), settings)


def test_a_reward_checked_against_stale_settings_can_not_name_a_removed_tier(tenant, index_lag):
    """Another container still caches the settings with the tier (for up to 30 s): the reward is refused."""
    ok(200, tenant.admin.patch("/program", {"tiers": GOLD}))
    ok(201, tenant.admin.post("/rewards", _reward("r0")))
    stale = program.load(tenant.tenant_id)
    ok(200, tenant.admin.patch("/program", {"tiers": SILVER_ONLY}))
    for attempt in (
        lambda: tenant.admin.post("/rewards", _reward("r1", "gold")),
        lambda: tenant.admin.patch("/rewards/r0", {"tierIds": ["gold"]}),
    ):
        _cache_settings(tenant.tenant_id, stale)
        reply = attempt()
        assert reply.status == 400 and reply.json["error"]["details"][0]["field"] == "tierIds[0]", reply.text
    assert tenant.read.get("/rewards/r1").status == 404
    assert ok(200, tenant.read.get("/rewards/r0")).data["tierIds"] == []


def test_the_checker_finds_a_tier_count_that_disagrees_with_the_catalog(tenant):
    ok(200, tenant.admin.patch("/program", {"tiers": GOLD}))
    ok(201, tenant.admin.post("/rewards", _reward("r1", "gold", "silver")))
    ok(201, tenant.admin.post("/rewards", _reward("r2", "gold")))
    ok(200, tenant.admin.patch("/rewards/r1", {"tierIds": ["silver"]}))
    assert_ledger_clean(tenant.tenant_id)  # gold: 1 (r2), silver: 1 (r1)
    store.transact([program_db.count_tier_use(tenant.tenant_id, "gold", -1)])  # a reward created before the counts
    problems = checker.check([tenant.tenant_id])["problems"]
    assert problems == [
        {
            "tenantId": tenant.tenant_id,
            "tierId": "gold",
            "problem": "rewards naming the tier",
            "stored": 0,
            "counted": 1,
        }
    ]


def _before_transaction(marker: str, interloper):
    """A `decide` for faults.intercept: run `interloper` once, just before the first transaction that
    writes an item whose key holds `marker`."""
    fired = threading.Event()

    def decide(name, params, original):
        if name == "TransactWriteItems" and not fired.is_set() and marker in str(params):
            fired.set()
            interloper()
        return original(name, params)

    return decide


@pytest.mark.parametrize("first", ["reward", "removal"])
def test_a_reward_and_the_removal_of_its_tier_racing_never_both_commit(tenant, index_lag, monkeypatch, first):
    """The one that commits second sees the other's write through a condition in its own transaction."""
    ok(200, tenant.admin.patch("/program", {"tiers": GOLD}))
    body = _reward("r-race", "gold")
    if first == "reward":  # the reward commits between the removal's read of the tier's count and its write
        interloper = lambda: ok(201, tenant.admin.post("/rewards", body))  # noqa: E731
        marker, late = "PROGRAM", lambda: tenant.admin.patch("/program", {"tiers": SILVER_ONLY})
    else:  # the removal commits between the reward's read of the settings and its write
        interloper = lambda: ok(200, tenant.admin.patch("/program", {"tiers": SILVER_ONLY}))  # noqa: E731
        marker, late = "#RWD#r-race", lambda: tenant.admin.post("/rewards", body)
    intercept(monkeypatch, _before_transaction(marker, interloper))
    reply = late()
    monkeypatch.undo()
    tiers = [tier["tierId"] for tier in ok(200, tenant.read.get("/program")).data["tiers"]]
    reward = tenant.read.get("/rewards/r-race")
    if first == "reward":
        assert reply.code == "invalid_state" and tiers == ["silver", "gold"] and reward.data["tierIds"] == ["gold"]
    else:
        assert reply.status == 400 and tiers == ["silver"] and reward.status == 404, reply.text
