"""Rewards: the reward item, its sharded stock counters, its coupon-code pool and the codes handed out.

Partition `T#<t>#RWD#<rewardId>` holds the reward (sk REWARD) and one stock counter per shard
(sk STOCK#<k>): one Query reads a reward with its stock. Codes waiting in the pool live in SHARDS
partitions `…#POOL#<k>` (a code's shard is a hash of the code, so a duplicate always meets
itself); a code handed out moves to `…#ISSUED` and never comes back. The catalog (PROGRAM_WIDE
under `T#<t>#REWARDS`) lists each reward right before its counters, so a catalog page is one Query.
"""

from __future__ import annotations

import hashlib
from typing import Any

from loyalty.repository import keys, store
from loyalty.repository.table import PROGRAM_WIDE

SHARDS = 4
REWARD, STOCK = "REWARD", "STOCK#"


def partition(tenant_id: str, reward_id: str) -> str:
    return f"{keys.tenant(tenant_id)}#RWD#{reward_id}"


def key(tenant_id: str, reward_id: str) -> store.Key:
    return store.key(partition(tenant_id, reward_id), REWARD)


def stock_key(tenant_id: str, reward_id: str, shard: int) -> store.Key:
    return store.key(partition(tenant_id, reward_id), f"{STOCK}{shard}")


def shard_of(code: str) -> int:
    return int(hashlib.sha256(code.encode()).hexdigest()[:8], 16) % SHARDS


def code_key(tenant_id: str, reward_id: str, code: str) -> store.Key:
    return store.key(f"{partition(tenant_id, reward_id)}#POOL#{shard_of(code)}", f"CODE#{code}")


def issued_key(tenant_id: str, reward_id: str, code: str) -> store.Key:
    return store.key(f"{partition(tenant_id, reward_id)}#ISSUED", f"CODE#{code}")


def _listed(tenant_id: str, reward_id: str, suffix: str = "") -> dict[str, str]:
    return store.index_entry(PROGRAM_WIDE, f"{keys.tenant(tenant_id)}#REWARDS", reward_id + suffix)


def item(tenant_id: str, reward: dict[str, Any]) -> dict[str, Any]:
    return {**key(tenant_id, reward["rewardId"]), **store.plain(reward), **_listed(tenant_id, reward["rewardId"])}


def stock_item(tenant_id: str, reward_id: str, shard: int, counts: dict[str, int]) -> dict[str, Any]:
    """A shard's counters (total, available, issued), listed right after its reward."""
    return {**stock_key(tenant_id, reward_id, shard), **_listed(tenant_id, reward_id, f"#{STOCK}{shard}"), **counts}


def move_stock(tenant_id: str, reward_id: str, shard: int, **deltas: int) -> store.TxItem:
    return store.update(stock_key(tenant_id, reward_id, shard), add=deltas)


def put_code(tenant_id: str, reward_id: str, code: str) -> store.TxItem:
    """A code into the pool (fails if it is there already)."""
    return store.put_new({**code_key(tenant_id, reward_id, code), "code": code})


def never_issued(tenant_id: str, reward_id: str, code: str) -> store.TxItem:
    """A check that a code was never handed out (a code handed out is never put back)."""
    return store.check(issued_key(tenant_id, reward_id, code), store.ABSENT)


def take_code(tenant_id: str, reward_id: str, code: str) -> store.TxItem:
    """Take a code out of the pool, on condition that nobody took it first."""
    return store.delete(code_key(tenant_id, reward_id, code), condition=store.PRESENT)


def put_issued(tenant_id: str, reward_id: str, code: str, handed_to: dict[str, Any]) -> store.TxItem:
    """Record a code as handed out (to a redemption and member)."""
    return store.put_new({**issued_key(tenant_id, reward_id, code), "code": code, **handed_to})


def pool(tenant_id: str, reward_id: str, shard: int) -> store.Collection:
    return store.Collection(f"{partition(tenant_id, reward_id)}#POOL#{shard}")


def issued(tenant_id: str, reward_id: str) -> store.Collection:
    return store.Collection(f"{partition(tenant_id, reward_id)}#ISSUED")


def with_stock(tenant_id: str, reward_id: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The reward and its stock counters: one Query of the reward's partition."""
    items, _ = store.Collection(partition(tenant_id, reward_id)).query()
    reward = next((item for item in items if store.sort_key(item) == REWARD), None)
    return reward, [item for item in items if store.sort_key(item).startswith(STOCK)]


def catalog(tenant_id: str) -> store.Collection:
    """Rewards by rewardId, each followed by its SHARDS stock counters."""
    return store.Collection(f"{keys.tenant(tenant_id)}#REWARDS", PROGRAM_WIDE)


def group_catalog(
    items: list[dict[str, Any]], last: dict[str, Any] | None
) -> tuple[list[tuple[dict[str, Any], list[dict[str, Any]]]], dict[str, Any] | None]:
    """A catalog page as (reward, stock) pairs, and where the next page starts.

    A reward whose counters the page cut off is left for the next page, which then starts right
    after the last complete reward's counters.
    """
    groups: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    for found in items:
        if store.sort_key(found) == REWARD:
            groups.append((found, []))
        elif groups and store.partition_of(found) == store.partition_of(groups[-1][0]):
            groups[-1][1].append(found)
    if last is not None and groups and len(groups[-1][1]) < SHARDS:
        groups.pop()
        end = groups[-1][1][-1] if groups and groups[-1][1] else None
        last = store.key_of(end, PROGRAM_WIDE) if end else last
    return groups, last
