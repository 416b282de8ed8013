"""Segments (§11): a tenant's segment definitions with the guard item that counts them, and the explicit
include/exclude overrides of one member in one segment.

Partition `T#<t>#SEGMENTS` holds each segment under `SEG#<segmentId>` and the tenant's segment count (sk
`LIMIT`, attribute `count`). Creating a segment puts it and grows the count in one transaction, on condition
the count is below the limit (as webhook endpoints do, repository.webhooks), so a tenant never holds more than
`MAX_SEGMENTS` segments and "which segments is this member in" is one bounded read.

An override is an item of its own keyed by (tenant, member, segment): pk `T#<t>#M#<memberId>#SEGMENTS`, sk
`<segmentId>`, attribute `type` (`include` / `exclude`). A check reads the overrides it needs by key
(BatchGetItem, with the segments and the member), never a list of a segment's members: a check costs the
same whatever a segment's size. The member's own override partition is small (at most one item per segment
of the tenant), so the member's segments page reads it with one Query.
"""

from __future__ import annotations

from typing import Any

from loyalty.repository import keys, store

PREFIX = "SEG#"
LIMIT = "LIMIT"
COUNT = "count"


def partition(tenant_id: str) -> str:
    return f"{keys.tenant(tenant_id)}#SEGMENTS"


def key(tenant_id: str, segment_id: str) -> store.Key[dict[str, Any]]:
    return store.key(partition(tenant_id), f"{PREFIX}{segment_id}")


def limit_key(tenant_id: str) -> store.Key[dict[str, Any]]:
    """The guard item that counts the tenant's segments."""
    return store.key(partition(tenant_id), LIMIT)


def item(tenant_id: str, segment: dict[str, Any]) -> dict[str, Any]:
    return {**key(tenant_id, segment["segmentId"]), **store.plain(segment)}


def count_of(guard: dict[str, Any] | None) -> int:
    return int(guard.get(COUNT, 0)) if guard else 0


def create_items(tenant_id: str, segment: dict[str, Any], limit: int) -> list[store.TxItem]:
    """The new segment (on condition its id is free), and the count grown by one on condition it is below `limit`."""
    return [
        store.put_new(item(tenant_id, segment)),
        store.update(
            limit_key(tenant_id),
            grow={COUNT: (0, 1)},
            condition="attribute_not_exists(#n) OR #n < :limit",
            names={"#n": COUNT},
            values={":limit": limit},
        ),
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
    return f"{keys.tenant(tenant_id)}#M#{member_id}#SEGMENTS"


def override_key(tenant_id: str, member_id: str, segment_id: str) -> store.Key[dict[str, Any]]:
    return store.key(override_partition(tenant_id, member_id), segment_id)


def override_item(tenant_id: str, override: dict[str, Any]) -> dict[str, Any]:
    return {**override_key(tenant_id, override["memberId"], override["segmentId"]), **store.plain(override)}


def member_overrides(tenant_id: str, member_id: str) -> list[dict[str, Any]]:
    """Every override of one member (at most one per segment of the tenant): one Query."""
    return [store.plain(found) for found in store.Collection(override_partition(tenant_id, member_id)).all()]
