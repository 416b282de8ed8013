"""Helpers for tests of a tenant's list shard counts: raise a count and let it settle, walk a list's pages."""

from __future__ import annotations

from typing import Any

from loyalty import clock, shard_counts
from loyalty.repository import sharded
from loyalty.services import tenants


def raise_and_settle(tenant_id: str, count: int, frozen: clock.FrozenClock) -> None:
    """Raise every list family of the tenant to `count` and move the clock past the settling time, so
    new entries spread over the new count (they keep to the old one until then)."""
    tenants.raise_list_shards(tenant_id, count)
    frozen.advance(seconds=shard_counts.SETTLE_SECONDS)


def walk(
    client: Any, path: str, field: str, *, limit: int, token: str | None = None, pages: int | None = None
) -> tuple[list[str], str | None]:
    """The `field` of each item of up to `pages` pages of GET `path` (every page by default) from `token`,
    and the next token."""
    seen: list[str] = []
    while pages is None or pages > 0:
        separator = "&" if "?" in path else "?"
        reply = client.get(f"{path}{separator}limit={limit}" + (f"&nextToken={token}" if token else ""))
        assert reply.status == 200, reply.text
        seen += [item[field] for item in reply.data]
        token = reply.json.get("nextToken")
        pages = None if pages is None else pages - 1
        if not token:
            break
    return seen, token


def occupied(collection: sharded.ShardedCollection) -> set[int]:
    """The shards of a write-sharded list that hold at least one entry."""
    return {k for k in range(collection.shards) if collection.shard(k).query(limit=1)[0]}
