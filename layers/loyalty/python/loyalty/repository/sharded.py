"""Write-sharded collections: one list spread over up to SHARDS index partitions by a hash of its owner.

A program-wide list that every member writes to (all transactions, all redemptions, the jobs'
due-date entries) would be one index partition taking the whole tenant's write rate. Instead an
entry goes to shard `hash(owner) mod writes` (the owner is the member, so a member's entries stay
in one shard and a shard is shared by about 1/writes of the members), and a page is a
scatter-gather: it reads the `shards` ever written, merges them in sort-key order, and its cursor
carries each shard's position. How many shards a tenant's lists have is the tenant's setting
(repository/list_shards.py: 1 unless the operator raised it, at most SHARDS); the arithmetic behind
SHARDS is in docs/data-model.md.

A count only grows, so a page reads every shard that was ever written and raising it moves no
entry. A cursor issued before a raise names fewer shards than the list has now: the shards it does
not name start at its furthest position (the page's last item), as a shard that served nothing
does; a cursor naming more shards than this reader knows (its cached count is older) reads them all.

Any repository module can list through it: build entries with `entry(owner, sort)` and read with
`query` (the same options as `store.Collection.query`, so `services.listing` pages either kind).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, cast

from loyalty import shard_counts
from loyalty.errors import ValidationFailed
from loyalty.repository import store
from loyalty.repository.table import INDEXES

SHARDS = shard_counts.MOST  # the most shards a list may have (its cursor carries a position per shard)
_READERS = 8  # the first round's Queries run this many at a time (boto3 clients are thread-safe)
_DONE = "-"  # a shard's position once everything in it was listed


def shard_of(owner: str, shards: int | None = None) -> int:
    return int(hashlib.sha256(owner.encode()).hexdigest()[:8], 16) % (shards or SHARDS)


@dataclass(frozen=True)
class ShardedCollection(Generic[store.Record]):
    """A list in `index` over partitions `<base>#S<k>`; `item_key(sort)` is the table key of an entry.

    `shards`: how many were ever written (pages read them all); `writes`: how many new entries go to
    (default `shards`; fewer only while a raised count settles, see repository/list_shards.py).
    """

    base: str
    index: str
    item_key: Callable[[str], store.Key[Any]]
    shards: int = field(default_factory=lambda: SHARDS)  # read when built (the state machines use fewer)
    writes: int | None = None

    def partition(self, shard: int) -> str:
        return f"{self.base}#S{shard:02d}"

    def shard(self, shard: int) -> store.Collection[store.Record]:
        return store.Collection(self.partition(shard), self.index)

    def entry(self, owner: str, sort: str) -> dict[str, str]:
        """The index attributes that list an item of `owner` at `sort`."""
        return store.index_entry(self.index, self.partition(shard_of(owner, self.writes or self.shards)), sort)

    def all(self, **options: Any) -> list[store.Record]:
        """Every entry of every shard, shard after shard (jobs, the checker and operator tools)."""
        return [item for k in range(self.shards) for item in self.shard(k).all(**options)]

    def query(
        self,
        *,
        limit: int = 25,
        start: dict[str, Any] | None = None,
        newest_first: bool = False,
        **options: Any,
    ) -> tuple[list[store.Record], dict[str, Any] | None]:
        """One page in sort-key order across the shards, and the positions the next page starts at.

        Each shard is read a little at first (about limit/shards items, concurrently); an item is served once it
        is newer (older, ascending) than where every shard with more to read stopped, and the shard
        that holds the page back is read further. Sort keys are unique across shards (ULIDs).
        """
        positions = self._positions(start, newest_first)
        shards = len(positions)  # this collection's count, or a cursor's when it names more
        sort_name = INDEXES[self.index][1]
        read: list[list[Mapping[str, Any]]] = [[] for _ in range(shards)]
        resume: list[str | None] = [p or None for p in positions]  # the next Query of a shard starts after it
        open_ = [p != _DONE for p in positions]
        later: Callable[[Any, Any], bool] = (lambda a, b: a > b) if newest_first else (lambda a, b: a < b)

        def fetch(k: int, count: int) -> None:
            begin = resume[k]
            found, last = self.shard(k).query(
                limit=count,
                start={**self.item_key(begin), **store.index_entry(self.index, self.partition(k), begin)}
                if begin
                else None,
                newest_first=newest_first,
                **options,
            )
            read[k] += found
            resume[k] = last[sort_name] if last else None
            open_[k] = last is not None

        first = [k for k in range(shards) if open_[k]]
        from concurrent.futures import ThreadPoolExecutor  # only pages read: writers never load it

        with ThreadPoolExecutor(max_workers=_READERS) as readers:  # each call touches only its shard's lists
            list(readers.map(lambda k: fetch(k, min(limit, math.ceil(limit / shards) + 2)), first))
        budget = 3 * shards - len(first)
        while True:
            held = [k for k in range(shards) if open_[k]]
            pick = max if newest_first else min  # the shard whose unread items could come next
            bound = pick(held, key=lambda k: resume[k] or "") if held else None
            candidates = sorted(
                (item for items in read for item in items), key=lambda i: i[sort_name], reverse=newest_first
            )
            ready = [i for i in candidates if bound is None or not later(resume[bound], i[sort_name])]
            if len(ready) >= limit or bound is None or budget <= 0:
                break
            fetch(bound, max(limit - len(ready), 2))
            budget -= 1
        page = ready[:limit]
        return cast("list[store.Record]", page), self._next(positions, read, resume, open_, page, sort_name)

    def _next(
        self,
        positions: list[str],
        read: list[list[Mapping[str, Any]]],
        resume: list[str | None],
        open_: list[bool],
        page: list[Mapping[str, Any]],
        sort_name: str,
    ) -> dict[str, Any] | None:
        served = {id(item) for item in page}
        # Whatever a shard has not served is past the page's last item, so a shard that has served
        # nothing yet resumes there, not at its top (which would serve items created since, out of order).
        untouched = page[-1][sort_name] if page else ""
        after: list[str] = []
        for k in range(len(positions)):
            taken = [item for item in read[k] if id(item) in served]
            if len(taken) < len(read[k]):  # part of what was read waits for the next page
                after.append(taken[-1][sort_name] if taken else positions[k] or untouched)
            elif open_[k]:
                after.append(resume[k] or positions[k])
            else:
                after.append(_DONE)
        return None if all(p == _DONE for p in after) else {"at": ",".join(after)}

    def _positions(self, start: dict[str, Any] | None, newest_first: bool) -> list[str]:
        """Each shard's position: a cursor's, extended over the shards it does not name (see the module)."""
        if start is None:
            return [""] * self.shards
        positions = str(start.get("at", "")).split(",")
        if len(positions) > SHARDS or any(len(p) > 200 for p in positions):
            raise ValidationFailed(details=[{"field": "nextToken", "message": "is not a token this query returned"}])
        named = [p for p in positions if p and p != _DONE]
        furthest = (min if newest_first else max)(named, default="")
        return positions + [furthest] * (self.shards - len(positions))
