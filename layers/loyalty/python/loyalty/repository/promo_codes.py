"""Promotions (promo codes, contract section 11): the promotion, its code guards, uses counters and single-use pool.

- promotion `T#<t>#PROMO#<CODE>` / `PROMO`, listed PROGRAM_WIDE under `T#<t>#PROMOS` by code.
- code guard `T#<t>#PCODE#<CODE>` / `GUARD`, `{promoCode, kind}`: one per code the tenant's promotions know,
  the promotion's own code (`kind` shared or name) and every code of a single-use pool (`kind` pool). A typed
  code is found by this key, never through an index; one namespace: a code names one promotion, once.
- uses counter: an `offer_usage` sharded counter `…#PROMO#<CODE>#USES#<k>` / `USES` (`uses`, and `cap` when
  the promotion has maxUsesTotal: the caps add up to it), the shard count fixed on the promotion
  (`usageShards`) when it is created: one use adds 1 to one shard, so the total limit holds exactly while
  uses spread over the shards (`loyalty tenant shards` raises the count for a code expected to be hot).
- single-use pool: a `pools.CodePool` over the promotion's partition (`poolShards` shards): codes waiting
  `…#POOL#<k>`, stock `…#STOCK#<k>`, codes used `…#ISSUED#<k>` / `CODE#<code>` naming the member and the
  transaction.
- per-member uses `M…` (the member's partition) / `PROMOUSES#<CODE>`: `count`, claimed on condition it is
  below maxUsesPerMember. Nothing a use writes is in a partition every member of the tenant writes.
"""

from __future__ import annotations

from typing import Any

from loyalty.repository import counters, keys, list_shards, members, offer_usage, store
from loyalty.repository.pools import CodePool
from loyalty.repository.table import PROGRAM_WIDE, SORT_KEY

PROMO = "PROMO"
POOL_SHARDS = "poolShards"
USAGE_SHARDS = offer_usage.SHARDS_ATTRIBUTE


def partition(tenant_id: str, code: str) -> str:
    return f"{keys.tenant(tenant_id)}#PROMO#{code}"


def key(tenant_id: str, code: str) -> store.Key[dict[str, Any]]:
    return store.key(partition(tenant_id, code), PROMO)


def guard_key(tenant_id: str, code: str) -> store.Key[dict[str, Any]]:
    """Which promotion a typed code belongs to (by key: a code added a moment ago is found)."""
    return store.key(f"{keys.tenant(tenant_id)}#PCODE#{code}", "GUARD")


def guard(tenant_id: str, code: str, promo_code: str, kind: str) -> store.TxItem:
    return store.put_new({**guard_key(tenant_id, code), "code": code, "promoCode": promo_code, "kind": kind})


def member_uses_key(tenant_id: str, member_id: str, promo_code: str) -> store.Key[dict[str, Any]]:
    return store.key(members.partition(tenant_id, member_id), f"PROMOUSES#{promo_code}")


def count_member_use(counter: store.Key[Any], maximum: int | None) -> store.TxItem:
    """+1 on the member's uses of a promotion, on condition it is still below `maximum` (None: no limit)."""
    if maximum is None:
        return store.update(counter, add={"count": 1})
    return store.update(
        counter,
        add={"count": 1},
        condition="attribute_not_exists(#c) OR #c < :max",
        names={"#c": "count"},
        values={":max": maximum},
    )


def member_counters(tenant_id: str, member_id: str) -> dict[str, int]:
    """Every promotion's uses counter of a member, by promotion code (the ledger checker)."""
    found = store.Collection[dict[str, Any]](members.partition(tenant_id, member_id)).all(
        sort="begins_with(#s, :counter)", values={":counter": "PROMOUSES#"}, limit=500
    )
    return {item[SORT_KEY].removeprefix("PROMOUSES#"): int(item.get("count", 0)) for item in found}


def usage(tenant_id: str, promo: dict[str, Any] | None, code: str | None = None) -> counters.ShardedCounter:
    base = partition(tenant_id, promo["code"] if promo else str(code))
    return counters.ShardedCounter(base, offer_usage.WORD, counters.stored_shards(promo, USAGE_SHARDS))


def pool(tenant_id: str, promo: dict[str, Any]) -> CodePool:
    return CodePool(partition(tenant_id, promo["code"]), counters.stored_shards(promo, POOL_SHARDS))


def new(tenant_id: str, promo: dict[str, Any]) -> dict[str, Any]:
    """A promotion about to be created, with its counters' shard counts (the tenant's now, fixed from then on)."""
    shards = list_shards.counter_shards(tenant_id)
    return {**promo, USAGE_SHARDS: shards, **({POOL_SHARDS: shards} if promo["singleUse"] else {})}


def item(tenant_id: str, promo: dict[str, Any]) -> dict[str, Any]:
    listed = store.index_entry(PROGRAM_WIDE, f"{keys.tenant(tenant_id)}#PROMOS", promo["code"])
    return {**key(tenant_id, promo["code"]), **store.plain(promo), **listed}


def create_items(tenant_id: str, promo: dict[str, Any]) -> list[store.TxItem]:
    """The promotion, its code's guard (new: a code another promotion knows fails), its counters at zero."""
    kind = "name" if promo["singleUse"] else "shared"
    counter = usage(tenant_id, promo)
    shard_caps = offer_usage.caps(promo["maxUsesTotal"], [0] * counter.shards)
    items = [
        store.put_new(item(tenant_id, promo)),
        guard(tenant_id, promo["code"], promo["code"], kind),
        *counter.initial(
            lambda k: (
                {"promoCode": promo["code"], "shard": k, "uses": 0}
                | ({} if shard_caps[k] is None else {"cap": shard_caps[k]})
            )
        ),
    ]
    if promo["singleUse"]:
        items += pool(tenant_id, promo).initial_stock()
    return items


def add_codes(
    tenant_id: str, promo: dict[str, Any], codes: list[str], skipped_codes: list[str] | None = None
) -> tuple[int, int]:
    """Add distinct codes to the single-use pool, each with its guard; one any promotion knows is skipped."""
    return pool(tenant_id, promo).add_codes(
        codes, lambda code: [guard(tenant_id, code, promo["code"], "pool")], skipped_codes
    )


def with_counts(tenant_id: str, code: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The promotion and its uses shards, strongly consistent (one BatchGetItem at the default count)."""
    return counters.with_entity(key(tenant_id, code), lambda promo: usage(tenant_id, promo, code))


def usage_of(tenant_id: str, promos: list[dict[str, Any]]) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each promotion with its uses shards, read by key (a list page: eventually consistent)."""
    return counters.of_entities(promos, lambda promo: usage(tenant_id, promo))


def stock_of(tenant_id: str, promos: list[dict[str, Any]]) -> list[dict[str, int] | None]:
    """Each single-use promotion's pool stock (None for a shared code), read by key."""
    pooled = [promo for promo in promos if promo["singleUse"]]
    found = iter(counters.of_entities(pooled, lambda promo: pool(tenant_id, promo).stock))
    out: list[dict[str, int] | None] = []
    for promo in promos:
        out.append(pool(tenant_id, promo).totals(next(found)[1]) if promo["singleUse"] else None)
    return out


def used_codes(tenant_id: str, promo: dict[str, Any]) -> list[dict[str, Any]]:
    """Every pool code used (operator checks: a few Queries per shard)."""
    codes = pool(tenant_id, promo)
    return [item for k in range(codes.shards) for item in store.Collection(codes.issued_partition(k)).all(limit=500)]


def catalog(tenant_id: str) -> store.Collection[dict[str, Any]]:
    return store.Collection(f"{keys.tenant(tenant_id)}#PROMOS", PROGRAM_WIDE)
