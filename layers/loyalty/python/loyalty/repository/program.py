"""Program settings: one item per tenant (`T#<t>` / PROGRAM)."""

from __future__ import annotations

from typing import Any

from loyalty.repository import keys, store


def key(tenant_id: str) -> store.Key:
    return store.key(keys.tenant(tenant_id), "PROGRAM")


def item(tenant_id: str, settings: dict[str, Any]) -> dict[str, Any]:
    return {**key(tenant_id), **store.plain(settings)}


def unchanged(tenant_id: str, version: int) -> store.TxItem:
    """A condition that the settings are still as read (same version): for a write that relies on them."""
    return store.check(key(tenant_id), "#v = :v", {"#v": "version"}, {":v": version})


def tier_use_key(tenant_id: str, tier_id: str) -> store.Key:
    """How many rewards name a tier (`rewards`): read by key, so a tier's removal sees a reward at once
    (the catalog's index may lag a write on AWS)."""
    return store.key(f"{keys.tenant(tenant_id)}#TIER#{tier_id}", "USE")


def count_tier_use(tenant_id: str, tier_id: str, delta: int) -> store.TxItem:
    """One reward more (+1) or fewer (-1) naming a tier."""
    return store.update(tier_use_key(tenant_id, tier_id), add={"rewards": delta})


def tier_unused(tenant_id: str, tier_id: str) -> store.TxItem:
    """A condition that no reward names a tier: the removal of the tier commits only with it."""
    return store.check(
        tier_use_key(tenant_id, tier_id), f"{store.ABSENT} OR #r = :zero", {"#r": "rewards"}, {":zero": 0}
    )


def tier_uses(tenant_id: str, tier_ids: list[str]) -> dict[str, int]:
    """How many rewards name each tier (strongly consistent)."""
    found = store.get_many([tier_use_key(tenant_id, tier_id) for tier_id in tier_ids]) if tier_ids else []
    return {tier_id: (item or {}).get("rewards", 0) for tier_id, item in zip(tier_ids, found, strict=True)}
