"""Sharded counters: one entity's counts kept in N items, each alone in its partition, so no item takes every write.

A popular reward's stock, a voucher pool's stock and an offer's usage are written by every claim of
that one reward or offer. A `ShardedCounter` keeps such a count in `shards` items, shard k at
`<base>#<word>#<k>` / `<word>` (a partition of its own and no index attribute, so no index
partition takes the writes either); a claim adds to one shard, a read sums them. The count of
shards is fixed when the entity is created and stored on it (a code's shard and an offer's per-shard
caps depend on it, so it never changes); an entity stored without one has `DEFAULT_SHARDS`. The
count a new entity gets is its tenant's setting (repository/list_shards.counter_shards).
The arithmetic is in docs/data-model.md.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from loyalty import shard_counts
from loyalty.repository import sharded, store

E = TypeVar("E", bound=Mapping[str, Any])  # the entity a counter belongs to (its record)

DEFAULT_SHARDS = shard_counts.COUNTERS_DEFAULT  # the count of an entity stored before counts were stored on it


def stored_shards(entity: Mapping[str, Any] | None, attribute: str) -> int:
    """The shard count stored on an entity (one created before counts were stored has DEFAULT_SHARDS)."""
    return int((entity or {}).get(attribute) or DEFAULT_SHARDS)


@dataclass(frozen=True)
class ShardedCounter:
    """The `shards` counter items of one entity under `<base>#<word>#<k>` / `<word>`."""

    base: str
    word: str
    shards: int

    def key(self, shard: int) -> store.Key:
        return store.key(f"{self.base}#{self.word}#{shard}", self.word)

    def keys(self) -> list[store.Key]:
        return [self.key(k) for k in range(self.shards)]

    def shard_of(self, name: str) -> int:
        """The shard a name (a code) always falls in: a hash of it, so a name added twice meets itself."""
        return sharded.shard_of(name, self.shards)

    def shard_of_item(self, counter: Mapping[str, Any]) -> int:
        """Which shard a counter item read back is."""
        return int(store.partition_of(dict(counter)).rsplit("#", 1)[1])

    def initial(self, values: Callable[[int], dict[str, Any]]) -> list[store.TxItem]:
        """Every shard's item, new, with `values(shard)` (creates the counter with its entity)."""
        return [store.put_new({**self.key(k), **values(k)}) for k in range(self.shards)]

    def pick(self, counters: Iterable[Mapping[str, Any]] | None = None) -> int:
        """A shard at random: any of them, or one of the counter items given (those with room)."""
        if counters is None:
            return random.randrange(self.shards)
        return self.shard_of_item(random.choice(list(counters)))

    def add(
        self,
        shard: int,
        deltas: dict[str, int],
        *,
        condition: str | None = None,
        names: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
    ) -> store.TxItem:
        """Add `deltas` to one shard (creating it if missing), on `condition` when given."""
        return store.update(self.key(shard), add=deltas, condition=condition, names=names, values=values)

    def own(self, items: Iterable[Mapping[str, Any] | None]) -> list[dict[str, Any]]:
        """The items among `items` that are this counter's shards (a counter not yet written is absent)."""
        mine = {store.partition_of(k) for k in self.keys()}
        return [dict(item) for item in items if item and store.partition_of(dict(item)) in mine]

    def read(self, *, consistent: bool = True) -> list[dict[str, Any]]:
        """The shards written so far: one BatchGetItem."""
        return self.own(store.get_many(self.keys(), consistent=consistent))

    @staticmethod
    def total(counters: Iterable[Mapping[str, Any]], name: str) -> int:
        """The count `name` summed over the shards (a shard without it counts as zero)."""
        return sum(int(counter.get(name, 0)) for counter in counters)

    @staticmethod
    def totals(counters: Iterable[Mapping[str, Any]], names: Iterable[str]) -> dict[str, int]:
        found = list(counters)
        return {name: ShardedCounter.total(found, name) for name in names}


def with_entity(
    entity_key: store.Key[E], counter_of: Callable[[E | None], ShardedCounter], *, consistent: bool = True
) -> tuple[E | None, list[dict[str, Any]]]:
    """An entity and its counter's shards, in one BatchGetItem when the entity has the default count.

    The shard count is stored on the entity, so the first read asks for the default count's shards
    with it; an entity with more shards costs a second read of the rest (one with fewer ignores the extra).
    """
    guess = counter_of(None)
    keys: list[store.Key[Any]] = [entity_key, *guess.keys()]
    entity, *found = store.get_many(keys, consistent=consistent)
    counter = counter_of(entity)
    if counter.shards > guess.shards:
        found += store.get_many(counter.keys()[guess.shards :], consistent=consistent)
    return entity, counter.own(found)


def of_entities(entities: list[E], counter_of: Callable[[E], ShardedCounter]) -> list[tuple[E, list[dict[str, Any]]]]:
    """Each entity with its counter's shards, read by key together (eventually consistent: list pages
    and operator walks, where counts a second old are fine)."""
    counters = [counter_of(entity) for entity in entities]
    groups = store.get_groups([counter.keys() for counter in counters], consistent=False)
    return list(zip(entities, groups, strict=True))


# --- a count kept under a limit (webhook endpoints, segments per tenant) --------------------------------------

LIMIT_COUNT = "count"


def limited_count(guard: Mapping[str, Any] | None) -> int:
    """The number a limit's guard item counts (no guard yet: 0)."""
    return int(guard.get(LIMIT_COUNT, 0)) if guard else 0


def count_up_below(guard_key: store.Key[Any], limit: int) -> store.TxItem:
    """The guard's count grown by one, on condition it is below `limit` (created at 1 when missing)."""
    return store.update(
        guard_key,
        grow={LIMIT_COUNT: (0, 1)},
        condition="attribute_not_exists(#n) OR #n < :limit",
        names={"#n": LIMIT_COUNT},
        values={":limit": limit},
    )


def count_down(guard_key: store.Key[Any]) -> store.TxItem:
    """The guard's count lowered by one, on condition it is above zero."""
    return store.update(
        guard_key, add={LIMIT_COUNT: -1}, condition="#n > :zero", names={"#n": LIMIT_COUNT}, values={":zero": 0}
    )
