"""Pools of single-use codes: one item per code spread over SHARDS partitions, one stock counter per shard.

A code's shard is a hash of the code, so a code added twice meets itself. Taking a code deletes its
item on condition it still exists and moves only that shard's counter, so no single item is written
by every claim. Each shard's counter has a partition of its own (`<base>#STOCK#<k>` / `STOCK`) and
no index attribute, and so do its codes (`<base>#POOL#<k>` / `CODE#<code>`) and, for reward pools,
the codes handed out (`<base>#ISSUED#<k>`): a claim writes one shard's partitions, so one popular
pool's claims spread over SHARDS x 3 partitions (arithmetic in docs/data-model.md). A reward pool is
a CodePool over `T#t#RWD#<rewardId>`, a voucher pool one over `T#t#VPOOL#<offerId>`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from loyalty.repository import retry, sharded, store

SHARDS = 16
STOCK = "STOCK"
CLAIM_CANDIDATES = 10  # codes read per shard; a claimant takes one at random so racers rarely collide
MAX_TRANSACTION_ITEMS = 100


def shard_of(code: str) -> int:
    return sharded.shard_of(code, SHARDS)


class CodePool:
    """The code items and stock counters of one pool, named by its base partition."""

    def __init__(self, base: str) -> None:
        self.base = base

    def shard_partition(self, shard: int) -> str:
        return f"{self.base}#POOL#{shard}"

    def entry_key(self, code: str) -> store.Key:
        return store.key(self.shard_partition(shard_of(code)), f"CODE#{code}")

    def stock_key(self, shard: int) -> store.Key:
        """A shard's counters (total, available, issued), alone in their partition and in no index."""
        return store.key(f"{self.base}#{STOCK}#{shard}", STOCK)

    def issued_key(self, code: str) -> store.Key:
        """Where a code handed out is recorded (reward pools), in its shard's partition."""
        return store.key(f"{self.base}#ISSUED#{shard_of(code)}", f"CODE#{code}")

    def issued_partition(self, shard: int) -> str:
        return f"{self.base}#ISSUED#{shard}"

    def stock_keys(self) -> list[store.Key]:
        return [self.stock_key(k) for k in range(SHARDS)]

    @staticmethod
    def stock(counters: list[dict[str, Any] | None]) -> dict[str, int]:
        """Totals over the shard counters (a counter not yet written counts as zero)."""
        found = [item for item in counters if item]
        return {name: sum(int(item.get(name, 0)) for item in found) for name in ("total", "available", "issued")}

    def read_stock(self) -> dict[str, int]:
        return self.stock(store.get_many(self.stock_keys()))

    def claim(self) -> str | None:
        """A code still in the pool: shards in random order, a random one of the first few found; None if empty."""
        shards = list(range(SHARDS))
        random.shuffle(shards)
        for shard in shards:
            found, _ = store.query(("pk", self.shard_partition(shard)), limit=CLAIM_CANDIDATES)
            if found:
                return str(random.choice(found)["code"])
        return None

    def add_writes(self, codes: list[str], per_code: Callable[[str], list[store.TxItem]]) -> list[store.TxItem]:
        """Put each code in the pool (failing if there already) with `per_code` items, then the counters."""
        per_shard: dict[int, int] = {}
        items = []
        for code in codes:
            items.append(store.put_new({**self.entry_key(code), "code": code}))
            items.extend(per_code(code))
            per_shard[shard_of(code)] = per_shard.get(shard_of(code), 0) + 1
        for shard, count in sorted(per_shard.items()):
            items.append(store.update(self.stock_key(shard), add={"total": count, "available": count}))
        return items

    def take_writes(self, code: str) -> list[store.TxItem]:
        """Remove a code from the pool (condition: still there) and count it issued in its shard."""
        return [
            store.delete(self.entry_key(code), condition="attribute_exists(pk)"),
            store.update(self.stock_key(shard_of(code)), add={"available": -1, "issued": 1}),
        ]

    def entries(self) -> list[str]:
        """Every code still in the pool (operator checks; a few Queries per shard)."""
        return [
            item["code"]
            for shard in range(SHARDS)
            for item in store.Collection(self.shard_partition(shard)).all(limit=500)
        ]


def add_in_chunks(
    codes: list[str], items_per_code: int, writes: Callable[[list[str]], list[store.TxItem]]
) -> tuple[int, int]:
    """Add distinct codes in transactions of as many as fit; codes whose condition fails are skipped.

    `writes(chunk)` must start with `items_per_code` items per code, in the chunk's order (their
    conditions say "new"), followed by at most SHARDS counter updates. Lost races are retried
    under one budget for the whole upload (loyalty.repository.retry). Returns (added, skipped).
    """
    chunk_size = (MAX_TRANSACTION_ITEMS - SHARDS) // items_per_code
    added = skipped = 0
    budget = retry.races()
    for start in range(0, len(codes), chunk_size):
        chunk = codes[start : start + chunk_size]
        done, known = retry.until_decided(lambda chunk=chunk: _add_chunk(chunk, items_per_code, writes), budget)
        added, skipped = added + done, skipped + known
    return added, skipped


def _add_chunk(
    chunk: list[str], items_per_code: int, writes: Callable[[list[str]], list[store.TxItem]]
) -> tuple[int, int]:
    """One transaction of new codes: (added, skipped because known already)."""
    skipped = 0
    while chunk:
        try:
            store.transact(writes(chunk))
            return len(chunk), skipped
        except store.ConditionFailed as failed:  # those codes are decided: skip them, write the others
            present = {chunk[i // items_per_code] for i in failed.failed if i < items_per_code * len(chunk)}
            if not present:
                raise
            skipped += len(present)
            chunk = [code for code in chunk if code not in present]
    return 0, skipped
