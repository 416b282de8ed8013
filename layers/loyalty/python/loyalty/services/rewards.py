"""Reward catalog and coupon-code pools: create, update, read with stock, list, add codes.

A pool is per-code items spread over SHARDS partitions (a code's shard is a hash of the code, so a
duplicate always meets itself), with one stock counter per shard. A redemption claims one code
and moves one shard's counter, so no single counter item takes every redemption.
"""

from __future__ import annotations

import hashlib
from typing import Any

from loyalty import cache, clock
from loyalty.errors import Conflict, NotFound
from loyalty.operation import Caller, Operation, claimed, run
from loyalty.repository import cursor, keys, retry, store
from loyalty.results import Page
from loyalty.services import program

SHARDS = 4
CHUNK = 45  # codes per transaction: 2 items a code plus up to SHARDS counters (the limit is 100 items)
DEFAULTS: dict[str, Any] = {
    "description": None,
    "value": None,
    "isActive": True,
    "termsText": None,
    "instructions": None,
    "couponExpiry": None,
    "tierIds": [],
    "maxPerMember": None,
}
FIELDS = ("rewardId", "name", *DEFAULTS, "pointsCost", "currency", "fulfillment", "createdAt", "updatedAt")


def partition(tenant_id: str, reward_id: str) -> str:
    return f"{keys.tenant(tenant_id)}#RWD#{reward_id}"


def reward_key(tenant_id: str, reward_id: str) -> store.Key:
    return store.key(partition(tenant_id, reward_id), "REWARD")


def stock_key(tenant_id: str, reward_id: str, shard: int) -> store.Key:
    return store.key(partition(tenant_id, reward_id), f"STOCK#{shard}")


def pool(tenant_id: str, reward_id: str, shard: int) -> str:
    return f"{partition(tenant_id, reward_id)}#POOL#{shard}"


def code_key(tenant_id: str, reward_id: str, code: str) -> store.Key:
    return store.key(pool(tenant_id, reward_id, shard_of(code)), f"CODE#{code}")


def issued_key(tenant_id: str, reward_id: str, code: str) -> store.Key:
    return store.key(f"{partition(tenant_id, reward_id)}#ISSUED", f"CODE#{code}")


def shard_of(code: str) -> int:
    return int(hashlib.sha256(code.encode()).hexdigest()[:8], 16) % SHARDS


def _listing(tenant_id: str, reward_id: str, suffix: str = "") -> dict[str, str]:
    """Reward and stock items share gsi2, the stock right after its reward: a list page is one Query."""
    return {"gsi2pk": f"{keys.tenant(tenant_id)}#REWARDS", "gsi2sk": reward_id + suffix}


def public(reward: dict[str, Any], stock: list[dict[str, Any]]) -> dict[str, Any]:
    out = {name: reward.get(name) for name in FIELDS}
    issued = sum(item["issued"] for item in stock)
    if reward["fulfillment"] == "coupon":
        out["stock"] = {
            "total": sum(item["total"] for item in stock),
            "available": sum(item["available"] for item in stock),
            "issued": issued,
        }
    else:
        out["stock"] = {"total": None, "available": None, "issued": issued}
    return out


def _stored(tenant_id: str, reward: dict[str, Any]) -> dict[str, Any]:
    return {**reward_key(tenant_id, reward["rewardId"]), **reward, **_listing(tenant_id, reward["rewardId"])}


def load(tenant_id: str, reward_id: str) -> dict[str, Any]:
    """A reward's definition, from this container's cache when fresh enough (cache.TTL_SECONDS)."""
    item = cache.get(("reward", tenant_id, reward_id), lambda: store.get(reward_key(tenant_id, reward_id)))
    if item is None:
        raise NotFound("The reward does not exist.")
    return item


def with_stock(tenant_id: str, reward_id: str) -> dict[str, Any]:
    """The reward and its stock counters: one Query of the reward's partition."""
    items, _ = store.query(("pk", partition(tenant_id, reward_id)))
    reward = next((item for item in items if item["sk"] == "REWARD"), None)
    if reward is None:
        raise NotFound("The reward does not exist.")
    return public(reward, [item for item in items if item["sk"].startswith("STOCK#")])


def tiers_named(tenant_id: str) -> dict[str, list[str]]:
    """Every tier id the catalog's rewards name, with the rewards that name it."""
    named: dict[str, list[str]] = {}
    start = None
    while True:
        items, start = store.query(("gsi2pk", f"{keys.tenant(tenant_id)}#REWARDS"), index="gsi2", start=start)
        for item in items:
            for tier_id in item.get("tierIds") or [] if item["sk"] == "REWARD" else []:
                named.setdefault(tier_id, []).append(item["rewardId"])
        if not start:
            return named


def create_reward(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    tenant_id = caller.tenant_id
    currency = program.load(tenant_id)["currency"]
    program.check_tier_ids(tenant_id, body.get("tierIds") or [], "tierIds")

    def attempt(operation: Operation) -> dict[str, Any]:
        now = clock.iso(clock.now())
        reward = {
            **DEFAULTS,
            "currency": currency,
            **body,
            "createdAt": now,
            "updatedAt": now,
            "version": 0,
        }
        reward_id = reward["rewardId"]
        (existing,) = operation.read([reward_key(tenant_id, reward_id)])
        if existing is not None:
            raise Conflict("duplicate", "A reward with this rewardId exists already.")
        stock = [
            {
                **stock_key(tenant_id, reward_id, k),
                **_listing(tenant_id, reward_id, f"#STOCK#{k}"),
                "total": 0,
                "available": 0,
                "issued": 0,
            }
            for k in range(SHARDS)
        ]
        items = [store.put_new(_stored(tenant_id, reward)), *(store.put_new(item) for item in stock)]
        answer = operation.commit(items, public(reward, stock))
        cache.put(("reward", tenant_id, reward_id), reward)
        return answer

    return run(caller, attempt)


def update_reward(caller: Caller, reward_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    tenant_id = caller.tenant_id
    program.check_tier_ids(tenant_id, changes.get("tierIds") or [], "tierIds")

    def attempt(operation: Operation) -> dict[str, Any]:
        (current,) = operation.read([reward_key(tenant_id, reward_id)])
        if current is None:
            raise NotFound("The reward does not exist.")
        updated = {
            **{k: v for k, v in current.items() if k not in ("pk", "sk", "gsi2pk", "gsi2sk")},
            **changes,
            "updatedAt": clock.iso(clock.now()),
            "version": current["version"] + 1,
        }
        store.transact([store.put_versioned(_stored(tenant_id, updated), current["version"])])
        cache.put(("reward", tenant_id, reward_id), updated)
        return with_stock(tenant_id, reward_id)

    return run(caller, attempt)


def get_reward(tenant_id: str, reward_id: str) -> dict[str, Any]:
    return with_stock(tenant_id, reward_id)


def list_rewards(tenant_id: str, query: dict[str, Any]) -> Page:
    """Rewards by rewardId, each with its stock, from one Query of gsi2 (reward then its counters)."""
    limit = query.get("limit", 25)
    query_id = cursor.query_id("rewards", query)
    items, last = store.query(
        ("gsi2pk", f"{keys.tenant(tenant_id)}#REWARDS"),
        index="gsi2",
        limit=limit * (1 + SHARDS),
        start=cursor.decode(tenant_id, query_id, query.get("nextToken")),
    )
    groups: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    for item in items:
        if item["sk"] == "REWARD":
            groups.append((item, []))
        elif groups and item["pk"] == groups[-1][0]["pk"]:
            groups[-1][1].append(item)
    if last is not None and groups and len(groups[-1][1]) < SHARDS:
        groups.pop()  # cut short by the page: it starts the next page
        end = groups[-1][1][-1] if groups and groups[-1][1] else None
        last = {name: end[name] for name in ("pk", "sk", "gsi2pk", "gsi2sk")} if end else last
    active = query.get("isActive")
    shown = [public(reward, stock) for reward, stock in groups if active is None or reward["isActive"] == active]
    return Page(shown, cursor.encode(tenant_id, query_id, last))


def add_codes(caller: Caller, reward_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Add up to 1,000 codes to a coupon reward's pool; codes already there are skipped and counted.

    Several transactions (CHUNK codes each), so it runs under a claim of the Idempotency-Key.
    """
    return claimed(caller, lambda: _add_codes(caller.tenant_id, reward_id, body["codes"]))


def _add_codes(tenant_id: str, reward_id: str, given: list[str]) -> dict[str, Any]:
    reward = store.get(reward_key(tenant_id, reward_id))
    if reward is None:
        raise NotFound("The reward does not exist.")
    if reward["fulfillment"] != "coupon":
        raise Conflict("invalid_state", "Only a coupon reward has a code pool.")
    codes = list(dict.fromkeys(given))
    skipped = len(given) - len(codes)
    added = 0
    budget = retry.races()  # one budget for the whole upload, shared by its chunks
    for start in range(0, len(codes), CHUNK):
        chunk_added, chunk_skipped = retry.until_decided(
            lambda chunk=codes[start : start + CHUNK]: _add_chunk(tenant_id, reward_id, chunk), budget
        )
        added, skipped = added + chunk_added, skipped + chunk_skipped
    return {"added": added, "skipped": skipped, "stock": with_stock(tenant_id, reward_id)["stock"]}


def _add_chunk(tenant_id: str, reward_id: str, chunk: list[str]) -> tuple[int, int]:
    """Put one chunk of codes in the pool: (added, skipped because in the pool or handed out already)."""
    skipped = 0
    while chunk:
        try:
            store.transact(_pool_writes(tenant_id, reward_id, chunk))
            return len(chunk), skipped
        except store.ConditionFailed as failed:  # those codes are decided: skip them, put the others
            present = {chunk[i // 2] for i in failed.failed if i < 2 * len(chunk)}
            if not present:
                raise
            skipped += len(present)
            chunk = [code for code in chunk if code not in present]
    return 0, skipped


def _pool_writes(tenant_id: str, reward_id: str, codes: list[str]) -> list[store.TxItem]:
    per_shard: dict[int, int] = {}
    items = []
    for code in codes:  # a code handed out once is never put back in the pool
        items.append(store.put_new({**code_key(tenant_id, reward_id, code), "code": code}))
        items.append(store.check(issued_key(tenant_id, reward_id, code), "attribute_not_exists(pk)"))
        per_shard[shard_of(code)] = per_shard.get(shard_of(code), 0) + 1
    for shard, count in per_shard.items():
        items.append(store.update(stock_key(tenant_id, reward_id, shard), add={"total": count, "available": count}))
    return items
