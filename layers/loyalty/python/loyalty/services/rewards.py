"""Reward catalog and coupon-code pools: create, update, read with stock, list, add codes.

A pool is per-code items spread over shards (repository.rewards), with one stock counter per
shard, each in a partition of its own. A redemption claims one code and moves one shard's counter,
so no single counter item or partition takes every redemption.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loyalty import cache, clock, codes
from loyalty.errors import Conflict, ValidationFailed
from loyalty.models.rewards import Reward, RewardCodesAdd, RewardCreate, RewardListQuery, RewardUpdate
from loyalty.models.types import fields_of
from loyalty.operation import Caller, Operation, claimed, run, update_versioned
from loyalty.repository import paging, store
from loyalty.repository import program as program_db
from loyalty.repository import rewards as rewards_db
from loyalty.results import Page
from loyalty.services import code_pools, program, segments

if TYPE_CHECKING:
    from loyalty.repository.records import RewardRecord

EMPTY_STOCK = {"total": 0, "available": 0, "issued": 0}
DEFAULTS: dict[str, Any] = {
    "description": None,
    "value": None,
    "isActive": False,  # seed 001: a reward created without isActive is inactive (contract section 10)
    "termsText": None,
    "instructions": None,
    "couponExpiry": None,
    "tierIds": [],
    "maxPerMember": None,
    "maxPerMemberInterval": "lifetime",
    "startDate": None,
    "endDate": None,
    "segmentIds": [],
    "excludedSegmentIds": [],
}


def interval_of(reward: RewardRecord) -> str:
    """The window maxPerMember counts in (a reward stored before intervals existed: lifetime)."""
    return reward.get("maxPerMemberInterval") or "lifetime"


def _check_dates(reward: RewardRecord) -> None:
    """A reward's dates as it will be stored (after a create or an update): endDate after startDate."""
    start, end = reward.get("startDate"), reward.get("endDate")
    if start and end and start >= end:
        raise ValidationFailed(details=[{"field": "endDate", "message": "must be after startDate"}])


def public(reward: RewardRecord, stock: dict[str, int]) -> dict[str, Any]:
    """The reward with its stock totals (a manual reward counts only what it issued)."""
    out = fields_of(Reward, reward, without=("stock",))
    out["maxPerMemberInterval"] = interval_of(reward)
    out["segmentIds"], out["excludedSegmentIds"] = (list(ids) for ids in segments.targeting_of(out))  # older: none
    if reward["fulfillment"] == "coupon":
        out["stock"] = dict(stock)
    else:
        out["stock"] = {"total": None, "available": None, "issued": stock["issued"]}
    return out


def load(tenant_id: str, reward_id: str) -> RewardRecord:
    """A reward's definition, from this container's cache when fresh enough (cache.TTL_SECONDS)."""
    key = rewards_db.key(tenant_id, reward_id)
    return store.required(cache.get(("reward", tenant_id, reward_id), lambda: store.get(key)), "reward")


def with_stock(tenant_id: str, reward_id: str) -> dict[str, Any]:
    """The reward and its stock: one BatchGetItem (the reward and its stock counter's shards)."""
    reward, stock = rewards_db.with_stock(tenant_id, reward_id)
    return public(store.required(reward, "reward"), stock)


def _name_tiers(tenant_id: str, old: list[str], new: list[str]) -> list[store.TxItem]:
    """The writes that keep each tier's count of rewards naming it true when a reward's tierIds go
    from `old` to `new`, on condition that the settings the new tiers were checked against are
    still as read: a tier removed meanwhile makes the reward re-read and refuse (400), and a removal
    that comes after sees the count (services.program._tier_removal). Strongly consistent reads
    only: not the 30 s cache, not the catalog's index."""
    if set(old) == set(new):
        return []
    settings = program.fresh(tenant_id)
    program.check_tier_ids(tenant_id, new, "tierIds", settings)
    return [
        program_db.unchanged(tenant_id, settings["version"]),
        *(program_db.count_tier_use(tenant_id, tier_id, -1) for tier_id in sorted(set(old) - set(new))),
        *(program_db.count_tier_use(tenant_id, tier_id, +1) for tier_id in sorted(set(new) - set(old))),
    ]


def create_reward(caller: Caller, body: RewardCreate) -> dict[str, Any]:
    tenant_id = caller.tenant_id
    settings = program.load(tenant_id)
    program.check_tier_ids(tenant_id, body.tierIds or [], "tierIds")
    segments.check_ids(tenant_id, body.given())

    def attempt(operation: Operation) -> dict[str, Any]:
        now = clock.iso(clock.now())
        fields = {**DEFAULTS, "currency": settings["currency"], **body.given(), "createdAt": now, "updatedAt": now}
        reward = rewards_db.new(tenant_id, {**fields, "version": 0})
        _check_dates(reward)
        reward_id = reward["rewardId"]
        (existing,) = operation.read([rewards_db.key(tenant_id, reward_id)])
        if existing is not None:
            raise Conflict("duplicate", "A reward with this rewardId exists already.")
        items = [*rewards_db.create_items(tenant_id, reward), *_name_tiers(tenant_id, [], reward["tierIds"] or [])]
        answer = operation.commit(items, public(reward, EMPTY_STOCK))
        cache.put(("reward", tenant_id, reward_id), reward)
        return answer

    return run(caller, attempt)


def update_reward(caller: Caller, reward_id: str, changes: RewardUpdate) -> dict[str, Any]:
    tenant_id = caller.tenant_id
    program.check_tier_ids(tenant_id, changes.tierIds or [], "tierIds")
    segments.check_ids(tenant_id, changes.given())
    updated = update_versioned(
        caller,
        rewards_db.key(tenant_id, reward_id),
        "reward",
        changes.given(),
        lambda item: rewards_db.item(tenant_id, item),
        check=_check_dates,
        conditions=lambda current, updated: _name_tiers(
            tenant_id, current.get("tierIds") or [], updated.get("tierIds") or []
        ),
    )
    cache.put(("reward", tenant_id, reward_id), updated)
    return with_stock(tenant_id, reward_id)


def get_reward(tenant_id: str, reward_id: str) -> dict[str, Any]:
    return with_stock(tenant_id, reward_id)


def list_rewards(tenant_id: str, query: RewardListQuery) -> Page[list[dict[str, Any]]]:
    """Rewards by rewardId, each with its stock: one Query of the catalog, then the page's counters by key."""
    page = paging.request(tenant_id, "rewards", query.given())
    items, last = rewards_db.catalog(tenant_id).query(
        limit=page.limit, equals={"isActive": query.isActive}, start=page.start
    )
    shown = [public(reward, stock) for reward, stock in zip(items, rewards_db.stock_of(tenant_id, items), strict=True)]
    return Page(shown, page.next_token(last))


def add_codes(caller: Caller, reward_id: str, body: RewardCodesAdd) -> dict[str, Any]:
    """Add up to 1,000 codes to a coupon reward's pool; codes already there are skipped and counted.

    Several transactions (as many codes as fit in each), so it runs under a claim of the Idempotency-Key.
    """
    given = [codes.canonical(code) for code in body.codes]  # codes are case-insensitive (loyalty.codes)
    return claimed(caller, lambda: _add_codes(caller.tenant_id, reward_id, given))


def _add_codes(
    tenant_id: str, reward_id: str, given: list[str], skipped_codes: list[str] | None = None
) -> dict[str, Any]:
    """The upload itself (also `loyalty import codes`, services/code_imports.py, which passes `skipped_codes`)."""
    reward = store.required(store.get(rewards_db.key(tenant_id, reward_id)), "reward")
    if reward["fulfillment"] != "coupon":
        raise Conflict("invalid_state", "Only a coupon reward has a code pool.")
    return code_pools.add_distinct(
        given,
        lambda codes: rewards_db.add_codes(tenant_id, reward, codes, skipped_codes),
        lambda: rewards_db.read_stock(tenant_id, reward),
    )
