"""Reward catalog and coupon-code pools: create, update, read with stock, list, add codes.

A pool is per-code items spread over shards (repository.rewards), with one stock counter per
shard, each in a partition of its own. A redemption claims one code and moves one shard's counter,
so no single counter item or partition takes every redemption.
"""

from __future__ import annotations

from typing import Any

from loyalty import cache, clock, codes
from loyalty.errors import Conflict
from loyalty.models.rewards import REWARD
from loyalty.models.types import fields_of
from loyalty.operation import Caller, Operation, claimed, run, update_versioned
from loyalty.repository import cursor, store
from loyalty.repository import rewards as rewards_db
from loyalty.results import Page
from loyalty.services import program

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


def public(reward: dict[str, Any], stock: list[dict[str, Any]]) -> dict[str, Any]:
    out = fields_of(REWARD, reward, without=("stock",))
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


def load(tenant_id: str, reward_id: str) -> dict[str, Any]:
    """A reward's definition, from this container's cache when fresh enough (cache.TTL_SECONDS)."""
    key = rewards_db.key(tenant_id, reward_id)
    return store.required(cache.get(("reward", tenant_id, reward_id), lambda: store.get(key)), "reward")


def with_stock(tenant_id: str, reward_id: str) -> dict[str, Any]:
    """The reward and its stock counters: one BatchGetItem (the reward and its shards' counters)."""
    reward, stock = rewards_db.with_stock(tenant_id, reward_id)
    return public(store.required(reward, "reward"), stock)


def tiers_named(tenant_id: str) -> dict[str, list[str]]:
    """Every tier id the catalog's rewards name, with the rewards that name it."""
    named: dict[str, list[str]] = {}
    for reward in rewards_db.catalog(tenant_id).all():
        for tier_id in reward.get("tierIds") or []:
            named.setdefault(tier_id, []).append(reward["rewardId"])
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
        (existing,) = operation.read([rewards_db.key(tenant_id, reward_id)])
        if existing is not None:
            raise Conflict("duplicate", "A reward with this rewardId exists already.")
        zero = {"total": 0, "available": 0, "issued": 0}
        stock = [rewards_db.stock_item(tenant_id, reward_id, k, zero) for k in range(rewards_db.SHARDS)]
        items = [store.put_new(rewards_db.item(tenant_id, reward)), *(store.put_new(item) for item in stock)]
        answer = operation.commit(items, public(reward, stock))
        cache.put(("reward", tenant_id, reward_id), reward)
        return answer

    return run(caller, attempt)


def update_reward(caller: Caller, reward_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    tenant_id = caller.tenant_id
    program.check_tier_ids(tenant_id, changes.get("tierIds") or [], "tierIds")
    updated = update_versioned(
        caller, rewards_db.key(tenant_id, reward_id), "reward", changes, lambda item: rewards_db.item(tenant_id, item)
    )
    cache.put(("reward", tenant_id, reward_id), updated)
    return with_stock(tenant_id, reward_id)


def get_reward(tenant_id: str, reward_id: str) -> dict[str, Any]:
    return with_stock(tenant_id, reward_id)


def list_rewards(tenant_id: str, query: dict[str, Any]) -> Page:
    """Rewards by rewardId, each with its stock: one Query of the catalog, then the page's counters by key."""
    query_id = cursor.query_id("rewards", query)
    items, last = rewards_db.catalog(tenant_id).query(
        limit=query.get("limit", 25),
        equals={"isActive": query.get("isActive")},
        start=cursor.decode(tenant_id, query_id, query.get("nextToken")),
    )
    shown = [public(reward, stock) for reward, stock in zip(items, rewards_db.stock_of(tenant_id, items), strict=True)]
    return Page(shown, cursor.encode(tenant_id, query_id, last))


def add_codes(caller: Caller, reward_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Add up to 1,000 codes to a coupon reward's pool; codes already there are skipped and counted.

    Several transactions (as many codes as fit in each), so it runs under a claim of the Idempotency-Key.
    """
    given = [codes.canonical(code) for code in body["codes"]]  # codes are case-insensitive (loyalty.codes)
    return claimed(caller, lambda: _add_codes(caller.tenant_id, reward_id, given))


def _add_codes(tenant_id: str, reward_id: str, given: list[str]) -> dict[str, Any]:
    reward = store.required(store.get(rewards_db.key(tenant_id, reward_id)), "reward")
    if reward["fulfillment"] != "coupon":
        raise Conflict("invalid_state", "Only a coupon reward has a code pool.")
    codes = list(dict.fromkeys(given))
    added, skipped = rewards_db.add_codes(tenant_id, reward_id, codes)
    skipped += len(given) - len(codes)
    return {"added": added, "skipped": skipped, "stock": with_stock(tenant_id, reward_id)["stock"]}
