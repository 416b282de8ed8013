"""Segments (§11): a tenant's segment definitions with the guard item that counts them, and the explicit
include/exclude overrides of one member in one segment.

Partition `T#<t>#SEGMENTS` holds each segment under `SEG#<segmentId>` and the tenant's segment count (sk
`LIMIT`, attribute `count`). Creating a segment puts it and grows the count in one transaction, on condition
the count is below the limit (as webhook endpoints do, repository.webhooks), so a tenant never holds more than
`MAX_SEGMENTS` segments and "which segments is this member in" is one bounded read.

An override is an item of its own keyed by (tenant, member, segment): pk `T#<t>#SEGOVR#<memberId>`, sk
`SEG#<segmentId>`, attribute `type` (`include` / `exclude`). It is not in the member's own partition, whose
sort keys the event builder reads as the member's items (repository.events.entity). A check reads the
overrides it needs by key (BatchGetItem, with the segments and the member), never a list of a segment's
members: a check costs the same whatever a segment's size.
"""

from __future__ import annotations

from typing import Any

from loyalty.repository import counters, keys, store

PREFIX = "SEG#"
LIMIT = "LIMIT"


def partition(tenant_id: str) -> str:
    return f"{keys.tenant(tenant_id)}#SEGMENTS"


def key(tenant_id: str, segment_id: str) -> store.Key[dict[str, Any]]:
    return store.key(partition(tenant_id), f"{PREFIX}{segment_id}")


def limit_key(tenant_id: str) -> store.Key[dict[str, Any]]:
    """The guard item that counts the tenant's segments."""
    return store.key(partition(tenant_id), LIMIT)


def item(tenant_id: str, segment: dict[str, Any]) -> dict[str, Any]:
    return {**key(tenant_id, segment["segmentId"]), **store.plain(segment)}


count_of = counters.limited_count


def create_items(tenant_id: str, segment: dict[str, Any], limit: int) -> list[store.TxItem]:
    """The new segment (on condition its id is free), and the count grown by one on condition it is below `limit`."""
    return [
        store.put_new(item(tenant_id, segment)),
        counters.count_up_below(limit_key(tenant_id), limit),
    ]


def changed(tenant_id: str, segment: dict[str, Any], version: int) -> store.TxItem:
    """The segment as `segment` has it, on condition it is still at `version`."""
    return store.put_versioned(item(tenant_id, segment), version)


def all_segments(tenant_id: str) -> list[dict[str, Any]]:
    """Every segment of the tenant, by id: one strongly consistent Query (at most the limit's items)."""
    found = store.Collection(partition(tenant_id)).all(sort="begins_with(#s, :k)", values={":k": PREFIX})
    return [store.plain(segment) for segment in found]


def page(
    tenant_id: str, limit: int, start: dict[str, Any] | None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One page of the tenant's segments, by segmentId."""
    found, last = store.Collection(partition(tenant_id)).query(
        sort="begins_with(#s, :k)", values={":k": PREFIX}, limit=limit, start=start
    )
    return [store.plain(segment) for segment in found], last


def stored_count(tenant_id: str) -> int:
    return count_of(store.get(limit_key(tenant_id)))


# --- overrides ------------------------------------------------------------------------------------


def override_partition(tenant_id: str, member_id: str) -> str:
    return f"{keys.tenant(tenant_id)}#SEGOVR#{member_id}"


def override_key(tenant_id: str, member_id: str, segment_id: str) -> store.Key[dict[str, Any]]:
    return store.key(override_partition(tenant_id, member_id), f"{PREFIX}{segment_id}")


def override_item(tenant_id: str, override: dict[str, Any]) -> dict[str, Any]:
    return {**override_key(tenant_id, override["memberId"], override["segmentId"]), **store.plain(override)}
