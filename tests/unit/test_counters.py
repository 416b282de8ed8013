"""Sharded counters: a reward's or offer's shard count is fixed at creation and read from the entity, an entity
stored without one has the default, reads find every shard (more or fewer than the default) and nothing else."""

from __future__ import annotations

from typing import Any

import pytest
from loyalty import shard_counts
from loyalty.errors import ValidationFailed
from loyalty.models.offers import OfferCreate
from loyalty.models.rewards import RewardCodesAdd, RewardCreate
from loyalty.operation import Caller
from loyalty.repository import counters, offer_usage, store
from loyalty.repository import offers as offers_db
from loyalty.repository import rewards as rewards_db
from loyalty.repository import vouchers as vouchers_db
from loyalty.services import offers, program, rewards, tenants

pytestmark = pytest.mark.usefixtures("fresh_table")
TENANT = "counted"


def caller() -> Caller:
    return Caller(TENANT, admin=True)


def _reward(shards: int | None, reward_id: str = "mug") -> dict[str, Any]:
    """A coupon reward created by the service for a tenant whose counters get `shards` (None: the default)."""
    tenants.create_tenant(TENANT, "Counted", **({} if shards is None else {"counter_shards": shards}))
    body = {"rewardId": reward_id, "name": "Mug", "pointsCost": 5, "fulfillment": "coupon", "isActive": True}
    rewards.create_reward(caller(), RewardCreate.model_validate(body))
    return store.get_required(rewards_db.key(TENANT, reward_id), "reward")


def _written(keys: list[store.Key]) -> int:
    return sum(item is not None for item in store.get_many(keys))


@pytest.mark.parametrize("shards", [3, 20])
def test_a_rewards_and_an_offers_counts_are_the_tenants_setting_fixed_on_the_entity(shards):
    reward = _reward(shards)
    pool = rewards_db.code_pool(TENANT, reward)
    assert (reward["poolShards"], pool.shards) == (shards, shards)
    assert _written(pool.stock.keys()) == shards  # every stock shard, at zero
    assert _written([counters.ShardedCounter(pool.base, "STOCK", shards + 1).key(shards)]) == 0
    body = {
        "offerCode": "TEN",
        "name": "Ten off",
        "rewardType": "amount",
        "offerAmount": "10",
        "maxRedemptionsTotal": 7,
    }
    offer_id = offers.create_offer(caller(), OfferCreate.model_validate(body))["offerId"]
    offer = store.get_required(offers_db.offer_key(TENANT, offer_id), "offer")
    usage = offers_db.usage(TENANT, offer)
    assert (usage.shards, vouchers_db.pool(TENANT, offer).shards) == (shards, shards)
    _, read = offers_db.read_offer(TENANT, offer_id)
    assert len(read) == shards and offer_usage.caps_total(read) == 7


def _created_counts(reward_id: str, offer_code: str) -> tuple[int, int, int]:
    """A new coupon reward's pool and a new offer's usage and voucher pool: their shard counts as stored."""
    body = {"rewardId": reward_id, "name": "Mug", "pointsCost": 5, "fulfillment": "coupon", "isActive": True}
    rewards.create_reward(caller(), RewardCreate.model_validate(body))
    offer = {"offerCode": offer_code, "name": "Ten off", "rewardType": "amount", "offerAmount": "10"}
    offer_id = offers.create_offer(caller(), OfferCreate.model_validate(offer))["offerId"]
    stored = store.get_required(offers_db.offer_key(TENANT, offer_id), "offer")
    return (
        store.get_required(rewards_db.key(TENANT, reward_id), "reward")["poolShards"],
        offers_db.usage(TENANT, stored).shards,
        vouchers_db.pool(TENANT, stored).shards,
    )


def test_the_tenants_counter_setting_applies_to_what_is_created_after_it_changes_and_lives_on_its_record():
    """One home: the tenant record (shown by `tenant show`), not the program settings; a change, up or down,
    reaches the rewards and offers created after it, and those created before keep their count."""
    before = _reward(3)
    assert tenants.show_tenant(TENANT)["counterShards"] == 3
    assert "counterShards" not in program.fresh(TENANT)
    shown = tenants.set_shards(TENANT, counters=5)
    assert shown["counterShards"] == 5 and shown["listShards"] == tenants.show_tenant(TENANT)["listShards"]
    assert _created_counts("cup", "FIVE") == (5, 5, 5)
    tenants.set_shards(TENANT, counters=2)
    assert _created_counts("pen", "TWO") == (2, 2, 2)
    assert rewards_db.code_pool(TENANT, store.get(rewards_db.key(TENANT, "mug"))).shards == before["poolShards"] == 3


REFUSED = {
    "counters 0 at creation": ({"counter_shards": 0}, None),
    "counters 65 at creation": ({"counter_shards": 65}, None),
    "lists 33 at creation": ({"lists": 33}, None),
    "counters 0": (None, {"counters": 0}),
    "counters 65": (None, {"counters": 65}),
    "counters true": (None, {"counters": True}),
    "lists 0": (None, {"lists": 0}),
    "lists 33 with good counters": (None, {"lists": 33, "counters": 8}),
    "good lists with counters 65": (None, {"lists": 8, "counters": 65}),
    "nothing to set": (None, {}),
}


@pytest.mark.parametrize(("create", "change"), REFUSED.values(), ids=REFUSED)
def test_a_shard_count_out_of_its_bounds_is_one_400_and_changes_nothing(create, change):
    if create is not None:
        with pytest.raises(ValidationFailed) as refused:
            tenants.create_tenant(TENANT, "Counted", **create)
        assert not tenants.tenant_exists(TENANT)
    else:
        _reward(None)
        shown = tenants.show_tenant(TENANT)
        with pytest.raises(ValidationFailed) as refused:
            tenants.set_shards(TENANT, **change)
        assert tenants.show_tenant(TENANT) == shown
    assert [detail["field"] for detail in refused.value.details] in (["lists"], ["counters"])


def test_the_largest_counts_are_accepted():
    _reward(shard_counts.COUNTERS_MOST)
    shown = tenants.set_shards(TENANT, lists=32, counters=1)
    assert shown["counterShards"] == 1 and {count["count"] for count in shown["listShards"].values()} == {32}


def test_codes_added_are_counted_in_the_shards_of_the_rewards_own_count():
    reward = _reward(3)
    codes = [f"C{i:03d}" for i in range(40)]
    added = rewards.add_codes(caller(), "mug", RewardCodesAdd.model_validate({"codes": [*codes, codes[0]]}))
    assert added == {"added": 40, "skipped": 1, "stock": {"total": 40, "available": 40, "issued": 0}}
    pool = rewards_db.code_pool(TENANT, reward)
    assert sorted(pool.entries()) == codes
    assert rewards.get_reward(TENANT, "mug")["stock"] == {"total": 40, "available": 40, "issued": 0}


def test_a_reward_stored_without_a_count_has_the_default_count():
    reward = _reward(None)
    assert reward["poolShards"] == counters.DEFAULT_SHARDS
    legacy = {name: value for name, value in store.plain(reward).items() if name != "poolShards"}
    store.put_plain(rewards_db.item(TENANT, legacy))  # as rewards were stored before counts were
    pool = rewards_db.code_pool(TENANT, legacy)
    assert pool.shards == counters.DEFAULT_SHARDS
    store.transact([pool.stock.add(counters.DEFAULT_SHARDS - 1, {"total": 2, "available": 2})])
    assert rewards.get_reward(TENANT, "mug")["stock"] == {"total": 2, "available": 2, "issued": 0}


def test_reading_with_the_entity_finds_the_shards_past_the_default():
    many = _reward(counters.DEFAULT_SHARDS + 4)
    store.transact([rewards_db.code_pool(TENANT, many).stock.add(counters.DEFAULT_SHARDS + 3, {"issued": 5})])
    assert rewards.get_reward(TENANT, "mug")["stock"]["issued"] == 5


def test_reading_with_the_entity_ignores_items_past_its_count():
    few = _reward(3)
    stray = counters.ShardedCounter(rewards_db.code_pool(TENANT, few).base, "STOCK", counters.DEFAULT_SHARDS)
    store.transact([stray.add(5, {"total": 9, "available": 9})])  # read with the entity, but not one of its 3
    assert rewards.get_reward(TENANT, "mug")["stock"] == {"total": 0, "available": 0, "issued": 0}


def test_a_pick_among_counters_is_one_of_them():
    counter = counters.ShardedCounter("T#x#THING#1", "USES", 8)
    some = [{**counter.key(k), "uses": 0} for k in (2, 5)]
    assert {counter.pick(some) for _ in range(200)} == {2, 5}
    assert {counter.pick() for _ in range(400)} == set(range(8))
