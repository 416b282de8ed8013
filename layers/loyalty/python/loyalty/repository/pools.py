"""Pools of single-use codes: one item per code spread over the pool's shards, and a sharded stock counter.

A code's shard is a hash of the code, so a code added twice meets itself. Taking a code deletes its
item on condition it still exists and moves only that shard's stock counter (a `ShardedCounter`,
`<base>#STOCK#<k>` / `STOCK`, no index attribute), so no single item is written by every claim. The
codes of a shard have a partition of their own (`<base>#POOL#<k>` / `CODE#<code>`) and, for reward
pools, so do the codes handed out (`<base>#ISSUED#<k>`): a claim writes one shard's partitions, so one
popular pool's claims spread over shards x 3 partitions (arithmetic in docs/data-model.md). The
shard count is fixed when the pool's reward or offer is created and stored on it. A reward pool is a
CodePool over `T#t#RWD#<rewardId>`, a voucher pool one over `T#t#VPOOL#<offerId>`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any

from loyalty.repository import retry, store
from loyalty.repository.counters import ShardedCounter

STOCK = "STOCK"
STOCK_NAMES = ("total", "available", "issued")
CLAIM_CANDIDATES = 10  # codes read per shard; a claimant takes one at random so racers rarely collide


class CodePool:
    """The code items and stock counter of one pool, named by its base partition, over `shards` shards."""

    def __init__(self, base: str, shards: int) -> None:
        self.base = base
        self.stock = ShardedCounter(base, STOCK, shards)  # a shard's total, available and issued

    @property
    def shards(self) -> int:
        return self.stock.shards

    def shard_of(self, code: str) -> int:
        return self.stock.shard_of(code)

    def shard_partition(self, shard: int) -> str:
        return f"{self.base}#POOL#{shard}"

    def entry_key(self, code: str) -> store.Key:
        return store.key(self.shard_partition(self.shard_of(code)), f"CODE#{code}")

    def issued_key(self, code: str) -> store.Key:
        """Where a code handed out is recorded (reward pools), in its shard's partition."""
        return store.key(self.issued_partition(self.shard_of(code)), f"CODE#{code}")

    def issued_partition(self, shard: int) -> str:
        return f"{self.base}#ISSUED#{shard}"

    def initial_stock(self) -> list[store.TxItem]:
        """Every stock shard at zero (written with a reward; a voucher pool's shards appear as codes come)."""
        return self.stock.initial(lambda _: dict.fromkeys(STOCK_NAMES, 0))

    def totals(self, counters: Iterable[Mapping[str, Any] | None]) -> dict[str, int]:
        """Totals over this pool's stock shards among `counters` (a shard not yet written counts as zero)."""
        return ShardedCounter.totals(self.stock.own(counters), STOCK_NAMES)

    def read_stock(self) -> dict[str, int]:
        return self.totals(self.stock.read())

    def claim(self) -> str | None:
        """A code still in the pool: shards in random order, a random one of the first few found; None if empty."""
        shards = list(range(self.shards))
        random.shuffle(shards)
        for shard in shards:
            found, _ = store.Collection(self.shard_partition(shard)).query(limit=CLAIM_CANDIDATES)
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
            per_shard[self.shard_of(code)] = per_shard.get(self.shard_of(code), 0) + 1
        for shard, count in sorted(per_shard.items()):
            items.append(self.stock.add(shard, {"total": count, "available": count}))
        return items

    def take_writes(self, code: str) -> list[store.TxItem]:
        """Remove a code from the pool (condition: still there) and count it issued in its shard."""
        return [
            store.delete(self.entry_key(code), condition=store.PRESENT),
            self.stock.add(self.shard_of(code), {"available": -1, "issued": 1}),
        ]

    def count_issued(self) -> store.TxItem:
        """Count one issue that took no code (a manual reward) in a random shard."""
        return self.stock.add(self.stock.pick(), {"issued": 1})

    def entries(self) -> list[str]:
        """Every code still in the pool (operator checks; a few Queries per shard)."""
        return [
            item["code"]
            for shard in range(self.shards)
            for item in store.Collection(self.shard_partition(shard)).all(limit=500)
        ]

    def add_codes(
        self, codes: list[str], per_code: Callable[[str], list[store.TxItem]], skipped_codes: list[str] | None = None
    ) -> tuple[int, int]:
        """Add distinct codes in transactions of as many as fit; codes whose condition fails are skipped.

        Each code is its pool entry and `per_code(code)`'s items (their conditions say "new"),
        followed by at most one counter update per shard. Lost races are retried under one budget
        for the whole upload (loyalty.repository.retry). Returns (added, skipped); the codes skipped are
        appended to `skipped_codes` when given (a file import reports each code's fate).
        """
        items_per_code = 1 + len(per_code(codes[0])) if codes else 1
        chunk_size = (store.TRANSACT_LIMIT - self.shards) // items_per_code
        added = skipped = 0
        budget = retry.races()
        for start in range(0, len(codes), chunk_size):
            chunk = codes[start : start + chunk_size]
            writes: Callable[[list[str]], list[store.TxItem]] = lambda c: self.add_writes(c, per_code)  # noqa: E731
            done, known = retry.until_decided(partial(_add_chunk, chunk, items_per_code, writes), budget)
            added, skipped = added + done, skipped + len(known)
            if skipped_codes is not None:
                skipped_codes.extend(known)
        return added, skipped


def _add_chunk(
    chunk: list[str], items_per_code: int, writes: Callable[[list[str]], list[store.TxItem]]
) -> tuple[int, list[str]]:
    """One transaction of new codes: (added, the codes skipped because known already)."""
    skipped: list[str] = []
    while chunk:
        try:
            store.transact(writes(chunk))
            return len(chunk), skipped
        except store.ConditionFailed as failed:  # those codes are decided: skip them, write the others
            present = {chunk[i // items_per_code] for i in failed.failed if i < items_per_code * len(chunk)}
            if not present:
                raise
            skipped += [code for code in chunk if code in present]
            chunk = [code for code in chunk if code not in present]
    return 0, skipped
