"""A tenant's shard counts, on its tenant record (`T#<t>` / TENANT): its write-sharded lists' and its new counters'.

A page of a write-sharded list (repository/sharded.py) costs a Query per shard, so a tenant's lists
have one shard until the operator raises a family's count (`loyalty tenant shards T --lists 32`)
before the tenant writes more than about 1,000 entries a second to one list. The record's
`listShards` holds, per family, `{"count": n, "previous": p, "from": <ISO time>}`:

- pages (and the jobs' and the checker's walks) read shards 0..count-1, every shard ever written:
  a count only grows, so raising it moves no entry and needs no migration;
- new entries go to `count` shards from `from` on and to `previous` shards before it. `from` is a
  raise's time plus SETTLE_SECONDS, longer than a container keeps the counts cached (cache.py), so by
  the time any container writes to a new shard every container reads it.

A tenant record without counts belongs to a tenant created before counts were settings: it wrote
every list LEGACY (32) ways, so that is its count.

The record's `counterShards` is the shard count of the sharded counters (repository/counters.py:
reward stock, code pools, offer usage) of the rewards and offers created from now on (`loyalty
tenant shards T --counters N`; without it, shard_counts.COUNTERS_DEFAULT). Each reward or offer
stores the count it was created with and keeps it (a code's shard and an offer's caps depend on
it), so this count may go up or down; a change reaches every container within cache.TTL_SECONDS.
Both counts are checked by one rule (shard_counts.check).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from loyalty import cache, clock
from loyalty.repository import keys, sharded, store
from loyalty.shard_counts import COUNTERS_DEFAULT, FAMILIES, LEGACY, SETTLE_SECONDS

_ATTRIBUTE = "listShards"
_COUNTERS = "counterShards"
_CACHED = "shards"  # the cache's key: the tenant record's counts, as `_settings` reads them
_ATTEMPTS = 5  # reads and conditional writes of a raise racing another raise


@dataclass(frozen=True)
class Count:
    """One family's count: `reads` shards were ever written (0..reads-1), new entries go to `writes`."""

    reads: int
    writes: int


def _stored(count: int, previous: int, since: str) -> dict[str, Any]:
    return {"count": count, "previous": previous, "from": since}


def initial(lists: int, counters: int) -> dict[str, Any]:
    """The tenant record's attributes for a new tenant: every list family at `lists`, taking writes at
    once, and `counters` shards for its counters."""
    return {_ATTRIBUTE: {family: _stored(lists, lists, "") for family in FAMILIES}, _COUNTERS: counters}


# A family added after a tenant's counts were stored takes the count of the family it grew from (the events
# are written at the rate of the ledger entries they mostly come from), until the operator sets its own.
_GREW_FROM = {"events": "transactions", "challengeResponses": "redemptions"}


def _families(record: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Each family's stored count (LEGACY for a record that has none, or for no record)."""
    stored = (record or {}).get(_ATTRIBUTE) or {}
    legacy = _stored(LEGACY, LEGACY, "")
    return {
        family: {**legacy, **stored.get(_GREW_FROM.get(family, family), {}), **stored.get(family, {})}
        for family in FAMILIES
    }


def _count(stored: dict[str, Any]) -> Count:
    writes = stored["count"] if clock.iso(clock.now()) >= stored["from"] else stored["previous"]
    return Count(int(stored["count"]), int(writes))


def _counters(record: dict[str, Any] | None) -> int:
    return int((record or {}).get(_COUNTERS) or COUNTERS_DEFAULT)


def _settings(record: dict[str, Any] | None) -> dict[str, Any]:
    return {"lists": _families(record), "counters": _counters(record)}


def _cached(tenant_id: str) -> dict[str, Any]:
    """The record's counts, from this container's cache when fresh enough (cache.TTL_SECONDS)."""
    return cache.get((_CACHED, tenant_id), lambda: _settings(store.get(keys.tenant_record(tenant_id))))


def counts(tenant_id: str) -> dict[str, Count]:
    """Every family's count now (cached)."""
    return {family: _count(value) for family, value in _cached(tenant_id)["lists"].items()}


def counter_shards(tenant_id: str) -> int:
    """The shard count of a counter created now (cached): its entity stores it and keeps it."""
    return int(_cached(tenant_id)["counters"])


def stored(tenant_id: str) -> dict[str, Any]:
    """The record's counts read now (the operator's view): `lists` (each family's stored count), `counters`."""
    return _settings(store.get(keys.tenant_record(tenant_id)))


def set_counter_shards(tenant_id: str, count: int) -> None:
    """Store the shard count of the counters created from now on (the tenant must exist)."""
    record = keys.tenant_record(tenant_id)
    store.transact([store.update(record, set_values={_COUNTERS: count}, condition=store.PRESENT)])
    cache.put((_CACHED, tenant_id), stored(tenant_id))


def collection(
    tenant_id: str, family: str, base: str, index: str, item_key: Callable[[str], store.Key[Any]]
) -> sharded.ShardedCollection[Any]:
    """A write-sharded list of the tenant with its family's count (the caller names the record its entries are)."""
    count = counts(tenant_id)[family]
    return sharded.ShardedCollection(base, index, item_key, shards=count.reads, writes=count.writes)


def raise_counts(
    tenant_id: str, count: int, families: list[str], check: Callable[[dict[str, dict[str, Any]]], None]
) -> dict[str, dict[str, Any]]:
    """Store `count` for `families`, after `check(current)` accepts the stored counts; every family's counts.

    A family's previous count is what it writes now; the new count takes writes SETTLE_SECONDS from
    now. The record is read and written again if it changed in between (another raise), a few times.
    """
    for attempt in range(_ATTEMPTS):
        record = store.required(store.get(keys.tenant_record(tenant_id)), "tenant")
        current = _families(record)
        check(current)
        since = clock.iso(clock.now() + timedelta(seconds=SETTLE_SECONDS))
        updated = {
            family: _stored(count, _count(value).writes, since) if family in families else value
            for family, value in current.items()
        }
        unchanged = (
            ("#ls = :before", {":before": record[_ATTRIBUTE]})
            if _ATTRIBUTE in record
            else ("attribute_not_exists(#ls)", None)
        )
        try:
            store.transact(
                [
                    store.update(
                        keys.tenant_record(tenant_id),
                        set_values={_ATTRIBUTE: updated},
                        condition=unchanged[0],
                        names={"#ls": _ATTRIBUTE},
                        values=unchanged[1],
                    )
                ]
            )
        except store.ConditionFailed:
            if attempt == _ATTEMPTS - 1:
                raise
            continue
        cache.put((_CACHED, tenant_id), _settings({**record, _ATTRIBUTE: updated}))
        return updated
    raise AssertionError("unreachable")
