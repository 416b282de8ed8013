"""Operator tasks (not over HTTP): create tenants, set their shard counts, issue, list and revoke API keys."""

from __future__ import annotations

from typing import Any

from loyalty import apikeys, clock, currencies, shard_counts
from loyalty.errors import Conflict, NotFound, ValidationFailed
from loyalty.repository import keys, list_shards, store
from loyalty.repository import program as program_db
from loyalty.routes import SCOPES
from loyalty.services.program import default_program


def create_tenant(
    tenant_id: str,
    name: str,
    currency: str = "USD",
    lists: int = shard_counts.DEFAULT,
    counter_shards: int = shard_counts.COUNTERS_DEFAULT,
) -> dict[str, Any]:
    """Register a tenant with its default program settings; a tenant id is used once.

    `lists`: the shard count of each write-sharded list family (only ever raised later).
    `counter_shards`: the shard count of the sharded counters (reward stock, code pools, offer usage)
    of the rewards and offers it creates (each keeps its count; `set_shards` changes it for later ones).
    """
    if not apikeys.TENANT_ID.fullmatch(tenant_id):
        raise ValidationFailed("A tenant id is 2-40 characters of a-z, 0-9 and '-', starting with a letter or digit.")
    shard_counts.check("lists", lists)
    shard_counts.check("counters", counter_shards)
    if not currencies.is_active(currency):
        raise ValidationFailed(
            f"The currency must be an active ISO 4217 code such as EUR, not {currency!r}.",
            details=[{"field": "currency", "message": "must be an active ISO 4217 currency code such as EUR"}],
        )
    now = clock.iso(clock.now())
    tenant = {
        **keys.tenant_record(tenant_id),
        "tenantId": tenant_id,
        "name": name,
        "createdAt": now,
        **list_shards.initial(lists, counter_shards),
    }
    try:
        store.transact(
            [
                store.put_new(tenant),
                store.put_new({**keys.registry_entry(tenant_id), "tenantId": tenant_id}),
                store.put_new(program_db.item(tenant_id, default_program(name, currency, now))),
            ]
        )
    except store.ConditionFailed:
        raise Conflict("duplicate", f"Tenant {tenant_id} exists already.") from None
    return {"tenantId": tenant_id, "name": name, "createdAt": now}


def _shards_view(stored: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Each family's count for the operator; while a raise settles, what it writes now and from when all."""
    now, view = clock.iso(clock.now()), {}
    for family, value in stored.items():
        view[family] = {"count": int(value["count"])}
        if now < value["from"] and value["previous"] != value["count"]:
            view[family].update(writes=int(value["previous"]), allWritesFrom=value["from"])
    return view


def show_tenant(tenant_id: str) -> dict[str, Any]:
    """The tenant's record as the operator sees it: id, name, creation time and its shard counts (its lists',
    and its new counters')."""
    require_tenant(tenant_id)
    record = store.get_required(keys.tenant_record(tenant_id), f"tenant {tenant_id}")
    shown: dict[str, Any] = {name: record[name] for name in ("tenantId", "name", "createdAt") if name in record}
    counts = list_shards.stored(tenant_id)
    return {**shown, "listShards": _shards_view(counts["lists"]), "counterShards": counts["counters"]}


def set_shards(
    tenant_id: str, lists: int | None = None, counters: int | None = None, families: list[str] | None = None
) -> dict[str, Any]:
    """Set a tenant's shard counts: raise its lists' (`raise_list_shards`), set its new counters' (the
    rewards and offers created from now on; each one created keeps its count, so this one may also go
    down). Both are checked before either is stored; the tenant as `show_tenant` shows it."""
    if lists is None and counters is None:
        raise ValidationFailed(details=[{"field": "lists", "message": "give lists, counters or both"}])
    for setting, count in (("lists", lists), ("counters", counters)):
        if count is not None:
            shard_counts.check(setting, count)
    require_tenant(tenant_id)
    if lists is not None:
        raise_list_shards(tenant_id, lists, families)
    if counters is not None:
        list_shards.set_counter_shards(tenant_id, counters)
    return show_tenant(tenant_id)


def raise_list_shards(tenant_id: str, count: int, families: list[str] | None = None) -> dict[str, Any]:
    """Raise the shard count of some list families (default: all) to `count`; a count never goes down.

    Pages read every shard ever written, so nothing moves; new entries spread over `count` shards once
    every container has seen the raise (shard_counts.SETTLE_SECONDS). Families at `count` already stay as
    they are; a family above it is a 400 (lowering would hide the entries of the shards above).
    """
    shard_counts.check("lists", count)
    unknown = sorted(set(families or ()) - set(shard_counts.FAMILIES))
    if unknown:
        known = ", ".join(shard_counts.FAMILIES)
        raise ValidationFailed(details=[{"field": "family", "message": f"{', '.join(unknown)}: not one of {known}"}])
    named = list(families or shard_counts.FAMILIES)

    def check(current: dict[str, dict[str, Any]]) -> None:
        above = {family: int(current[family]["count"]) for family in named if int(current[family]["count"]) > count}
        if above:
            which = ", ".join(f"{family} has {n}" for family, n in above.items())
            raise ValidationFailed(
                details=[{"field": "lists", "message": f"a shard count only grows ({which}): {count} would lower it"}]
            )

    require_tenant(tenant_id)
    current = list_shards.stored(tenant_id)["lists"]
    check(current)
    growing = [family for family in named if int(current[family]["count"]) < count]
    if growing:
        list_shards.raise_counts(tenant_id, count, growing, check)
    return show_tenant(tenant_id)


def tenant_exists(tenant_id: str) -> bool:
    return store.get(keys.tenant_record(tenant_id)) is not None


def require_tenant(tenant_id: str) -> None:
    """404 for a tenant that does not exist: every operator action on one tenant says so the same way."""
    if not tenant_exists(tenant_id):
        raise NotFound(f"Tenant {tenant_id} does not exist.")


def list_tenants() -> list[str]:
    """Every tenant id (the registry partition, paged through)."""
    return [item["tenantId"] for item in keys.registry().all()]


def issue_key(tenant_id: str, scopes: list[str], label: str = "", key: str | None = None) -> dict[str, Any]:
    """Issue a key with the given scopes; the secret is in the answer and nowhere else."""
    require_tenant(tenant_id)
    unknown = set(scopes) - set(SCOPES)
    if not scopes or unknown:
        raise ValidationFailed(f"Scopes must be some of {', '.join(SCOPES)}.")
    secret = key or apikeys.new_key(tenant_id)
    if apikeys.bearer_digest(f"Bearer {secret}") is None:
        raise ValidationFailed("A key is 1 to 512 printable characters without spaces.")
    if secret.startswith("oat1"):  # the prefix of OAuth access tokens (services/oauth_tokens.py): never a key
        raise ValidationFailed("A key may not start with oat1 (the prefix of access tokens).")
    secret_hash = apikeys.digest(secret)
    record: dict[str, Any] = {
        "tenantId": tenant_id,
        "keyId": secret_hash[:16],
        "prefix": secret[:12],
        "scopes": sorted(scopes),
        "label": label,
        "status": "active",
        "createdAt": clock.iso(clock.now()),
        "secretHash": secret_hash,
    }
    try:
        store.transact(
            [
                store.put_new({**keys.key_index(secret_hash), **record}),
                store.put_new({**keys.api_key(tenant_id, record["keyId"]), **record}),
            ]
        )
    except store.ConditionFailed:
        raise Conflict("duplicate", "This key is issued already.") from None
    return {**_public(record), "key": secret}


def _public(record: dict[str, Any]) -> dict[str, Any]:
    fields = ("keyId", "prefix", "scopes", "label", "status", "createdAt", "revokedAt")
    return {name: record[name] for name in fields if name in record}


def list_keys(tenant_id: str) -> list[dict[str, Any]]:
    require_tenant(tenant_id)
    return [_public(record) for record in keys.api_keys(tenant_id)]


def revoke_key(tenant_id: str, key_id: str) -> dict[str, Any]:
    """Revoke a key by its id; the gateway refuses it once the authorizer's cached answer lapses
    (AUTHORIZER_CACHE_SECONDS in infra/config.py). A key revoked already stays as it is: its first revokedAt."""
    require_tenant(tenant_id)
    record = store.get_required(keys.api_key(tenant_id, key_id), f"key {key_id} of tenant {tenant_id}")
    if record.get("revokedAt"):
        return _public(record)
    revoked = {"status": "revoked", "revokedAt": clock.iso(clock.now())}
    active = {"status": "active"}  # a concurrent revoke keeps its time, not ours
    try:
        store.transact(
            [
                store.update_if(keys.api_key(tenant_id, key_id), active, revoked),
                store.update_if(keys.key_index(record["secretHash"]), active, revoked),
            ]
        )
    except store.ConditionFailed:
        return _public(store.get_required(keys.api_key(tenant_id, key_id), f"key {key_id} of tenant {tenant_id}"))
    return _public({**record, **revoked})
