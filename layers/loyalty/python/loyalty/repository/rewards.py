"""Rewards: the reward item, its coupon-code pool with its sharded stock counter, and the codes handed out.

Partition `T#<t>#RWD#<rewardId>` holds the reward (sk REWARD). Its pool (a `pools.CodePool` over that
partition, with the reward's `poolShards` shards, fixed at creation) keeps each stock shard
(`total`, `available`, `issued`) in a partition of its own, `…#STOCK#<k>`, and so the codes waiting,
`…#POOL#<k>` (a code's shard is a hash of the code, so a duplicate always meets itself), and the codes
handed out, `…#ISSUED#<k>` (a code handed out never comes back). A redemption writes one shard's
three partitions, so one popular reward's redemptions spread over shards x 3 partitions; the
counters carry no index attribute, so no index partition takes every redemption. The catalog
(PROGRAM_WIDE under `T#<t>#REWARDS`) lists the rewards alone; a page reads the page's counters by
key (`stock_of`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from loyalty.repository import counters, keys, list_shards, store
from loyalty.repository.pools import CodePool
from loyalty.repository.table import PROGRAM_WIDE

if TYPE_CHECKING:
    from loyalty.repository.records import RewardRecord

REWARD = "REWARD"
SHARDS_ATTRIBUTE = "poolShards"  # on the reward: its pool's shard count, fixed when it is created


def partition(tenant_id: str, reward_id: str) -> str:
    return f"{keys.tenant(tenant_id)}#RWD#{reward_id}"


def key(tenant_id: str, reward_id: str) -> store.Key[RewardRecord]:
    return store.key(partition(tenant_id, reward_id), REWARD)


def code_pool(tenant_id: str, reward: RewardRecord | None, reward_id: str | None = None) -> CodePool:
    """The reward's coupon pool and stock (`reward` None: the default count, for a read that has no reward yet)."""
    rid = reward["rewardId"] if reward else reward_id
    assert rid is not None
    return CodePool(partition(tenant_id, rid), counters.stored_shards(reward, SHARDS_ATTRIBUTE))


def item(tenant_id: str, reward: RewardRecord) -> dict[str, Any]:
    listed = store.index_entry(PROGRAM_WIDE, f"{keys.tenant(tenant_id)}#REWARDS", reward["rewardId"])
    return {**key(tenant_id, reward["rewardId"]), **store.plain(reward), **listed}


def new(tenant_id: str, reward: dict[str, Any]) -> RewardRecord:
    """A reward about to be created, with its pool's shard count: the tenant's setting now, fixed from then on."""
    return cast("RewardRecord", {**reward, SHARDS_ATTRIBUTE: list_shards.counter_shards(tenant_id)})  # validated fields


def create_items(tenant_id: str, reward: RewardRecord) -> list[store.TxItem]:
    """The reward (from `new`), new, and every stock shard at zero."""
    return [store.put_new(item(tenant_id, reward)), *code_pool(tenant_id, reward).initial_stock()]


def hand_out(tenant_id: str, reward: RewardRecord, code: str | None, handed_to: dict[str, Any]) -> list[store.TxItem]:
    """Count one redemption in the reward's stock; with a code, take it from the pool (on condition
    nobody took it first) and record it as handed out (to a redemption and member)."""
    pool = code_pool(tenant_id, reward)
    if code is None:
        return [pool.count_issued()]
    return [*pool.take_writes(code), store.put_new({**pool.issued_key(code), "code": code, **handed_to})]


def claim_code(tenant_id: str, reward: RewardRecord) -> str | None:
    """A code still in the pool, picked so that racers rarely collide (None: the pool is empty)."""
    return code_pool(tenant_id, reward).claim()


def add_codes(
    tenant_id: str, reward: RewardRecord, codes: list[str], skipped_codes: list[str] | None = None
) -> tuple[int, int]:
    """Add distinct codes; one in the pool or handed out before is skipped. (added, skipped)."""
    pool = code_pool(tenant_id, reward)
    return pool.add_codes(codes, lambda code: [store.check(pool.issued_key(code), store.ABSENT)], skipped_codes)


def read_stock(tenant_id: str, reward: RewardRecord) -> dict[str, int]:
    return code_pool(tenant_id, reward).read_stock()


def issued(tenant_id: str, reward: RewardRecord) -> list[dict[str, Any]]:
    """Every code handed out (operator checks; a few Queries per shard)."""
    pool = code_pool(tenant_id, reward)
    return [item for k in range(pool.shards) for item in store.Collection(pool.issued_partition(k)).all(limit=500)]


def with_stock(tenant_id: str, reward_id: str) -> tuple[RewardRecord | None, dict[str, int]]:
    """The reward and its stock totals: one BatchGetItem (two for a reward with more than the default shards)."""
    reward, stock = counters.with_entity(
        key(tenant_id, reward_id), lambda found: code_pool(tenant_id, found, reward_id).stock
    )
    return reward, code_pool(tenant_id, reward, reward_id).totals(stock)


def stock_of(tenant_id: str, rewards: list[RewardRecord]) -> list[dict[str, int]]:
    """Each reward's stock totals, read by key (one BatchGetItem per 100 counters, eventually consistent:
    a catalog page's stock may be a second old)."""
    found = counters.of_entities(rewards, lambda reward: code_pool(tenant_id, reward).stock)
    return [code_pool(tenant_id, reward).totals(stock) for reward, stock in found]


def catalog(tenant_id: str) -> store.Collection[RewardRecord]:
    """Rewards by rewardId (their stock counters are read by key: `stock_of`)."""
    return store.Collection(f"{keys.tenant(tenant_id)}#REWARDS", PROGRAM_WIDE)
