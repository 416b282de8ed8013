"""Rewards: the reward item, its sharded stock counters, its coupon-code pool and the codes handed out.

Partition `T#<t>#RWD#<rewardId>` holds the reward (sk REWARD). Each of SHARDS stock counters
(`total`, `available`, `issued`) has a partition of its own, `…#STOCK#<k>`, and so do the codes
waiting in the pool, `…#POOL#<k>` (a code's shard is a hash of the code, so a duplicate always
meets itself), and the codes handed out, `…#ISSUED#<k>` (a code handed out never comes back). A
redemption writes one shard's three partitions, so one popular reward's redemptions spread over
SHARDS x 3 partitions; the counters carry no index attribute, so no index partition takes every
redemption. The catalog (PROGRAM_WIDE under `T#<t>#REWARDS`) lists the rewards alone; a page
reads the page's counters by key (`stock_of`).
"""

from __future__ import annotations

from typing import Any

from loyalty.repository import keys, pools, store
from loyalty.repository.pools import SHARDS, CodePool, shard_of
from loyalty.repository.table import PROGRAM_WIDE

__all__ = ["SHARDS", "shard_of"]  # the pool's sharding, shared with voucher pools (repository/pools.py)
REWARD = "REWARD"


def partition(tenant_id: str, reward_id: str) -> str:
    return f"{keys.tenant(tenant_id)}#RWD#{reward_id}"


def key(tenant_id: str, reward_id: str) -> store.Key:
    return store.key(partition(tenant_id, reward_id), REWARD)


def code_pool(tenant_id: str, reward_id: str) -> CodePool:
    """The reward's coupon pool: codes in `…#POOL#<k>`, counters in `…#STOCK#<k>`, handed out in `…#ISSUED#<k>`."""
    return CodePool(partition(tenant_id, reward_id))


def stock_key(tenant_id: str, reward_id: str, shard: int) -> store.Key:
    return code_pool(tenant_id, reward_id).stock_key(shard)


def code_key(tenant_id: str, reward_id: str, code: str) -> store.Key:
    return code_pool(tenant_id, reward_id).entry_key(code)


def issued_key(tenant_id: str, reward_id: str, code: str) -> store.Key:
    return code_pool(tenant_id, reward_id).issued_key(code)


def item(tenant_id: str, reward: dict[str, Any]) -> dict[str, Any]:
    listed = store.index_entry(PROGRAM_WIDE, f"{keys.tenant(tenant_id)}#REWARDS", reward["rewardId"])
    return {**key(tenant_id, reward["rewardId"]), **store.plain(reward), **listed}


def stock_item(tenant_id: str, reward_id: str, shard: int, counts: dict[str, int]) -> dict[str, Any]:
    """A shard's counters (total, available, issued), in a partition of its own and in no index."""
    return {**stock_key(tenant_id, reward_id, shard), **counts}


def move_stock(tenant_id: str, reward_id: str, shard: int, **deltas: int) -> store.TxItem:
    return store.update(stock_key(tenant_id, reward_id, shard), add=deltas)


def never_issued(tenant_id: str, reward_id: str, code: str) -> store.TxItem:
    """A check that a code was never handed out (a code handed out is never put back)."""
    return store.check(issued_key(tenant_id, reward_id, code), store.ABSENT)


def take_code(tenant_id: str, reward_id: str, code: str) -> store.TxItem:
    """Take a code out of the pool, on condition that nobody took it first."""
    return store.delete(code_key(tenant_id, reward_id, code), condition=store.PRESENT)


def put_issued(tenant_id: str, reward_id: str, code: str, handed_to: dict[str, Any]) -> store.TxItem:
    """Record a code as handed out (to a redemption and member)."""
    return store.put_new({**issued_key(tenant_id, reward_id, code), "code": code, **handed_to})


def claim_code(tenant_id: str, reward_id: str) -> str | None:
    """A code still in the pool, picked so that racers rarely collide (None: the pool is empty)."""
    return code_pool(tenant_id, reward_id).claim()


def add_codes(tenant_id: str, reward_id: str, codes: list[str]) -> tuple[int, int]:
    """Add distinct codes; one in the pool or handed out before is skipped. (added, skipped)."""
    target = code_pool(tenant_id, reward_id)
    return pools.add_in_chunks(
        codes, 2, lambda chunk: target.add_writes(chunk, lambda code: [never_issued(tenant_id, reward_id, code)])
    )


def issued(tenant_id: str, reward_id: str, shard: int) -> store.Collection:
    return store.Collection(code_pool(tenant_id, reward_id).issued_partition(shard))


def with_stock(tenant_id: str, reward_id: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The reward and its stock counters: one BatchGetItem."""
    reward, *stock = store.get_many([key(tenant_id, reward_id), *_stock_keys(tenant_id, reward_id)])
    return reward, [counter for counter in stock if counter]


def _stock_keys(tenant_id: str, reward_id: str) -> list[store.Key]:
    return code_pool(tenant_id, reward_id).stock_keys()


def stock_of(tenant_id: str, rewards: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Each reward's stock counters, read by key (one BatchGetItem per 100 counters, eventually consistent)."""
    groups = [_stock_keys(tenant_id, reward["rewardId"]) for reward in rewards]
    return store.get_groups(groups, consistent=False)  # a catalog page's stock may be a second old


def catalog(tenant_id: str) -> store.Collection:
    """Rewards by rewardId (their stock counters are read by key: `stock_of`)."""
    return store.Collection(f"{keys.tenant(tenant_id)}#REWARDS", PROGRAM_WIDE)
