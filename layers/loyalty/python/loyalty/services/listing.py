"""Newest-first pages of ULID-keyed collections (one member's or the program's), with time bounds."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from loyalty import clock, ids
from loyalty.errors import ValidationFailed
from loyalty.repository import cursor, sharded, store
from loyalty.results import Page
from loyalty.services import members

if TYPE_CHECKING:
    from loyalty.models.common import TimeRange


def newest_first(
    tenant_id: str,
    query: TimeRange,
    member_id: str | None,
    name: str,
    collection: store.Collection | sharded.ShardedCollection,
    filters: tuple[str, ...],
    shape: Callable[[dict[str, Any]], dict[str, Any]],
) -> Page:
    """One page of `collection`: one Query of the member's list, a scatter-gather of the program's shards.

    `from` / `to` are key bounds on the ULID sort key; `filters` name the query's equality filters.
    """
    low_at, high_at = query.from_, query.to
    if low_at and high_at and low_at > high_at:
        raise ValidationFailed(details=[{"field": "to", "message": "must not be before from"}])
    low = ids.ulid_floor(clock.parse_iso(low_at)) if low_at else "0"
    high = ids.ulid_ceiling(clock.parse_iso(high_at)) if high_at else "Z" * 26
    query_id = cursor.query_id(f"{name}:{member_id or ''}", query.given())
    items, last = collection.query(
        sort="#s BETWEEN :low AND :high",
        values={":low": low, ":high": high},
        equals={field: getattr(query, field) or None for field in filters},
        newest_first=True,
        limit=query.limit or 25,
        start=cursor.decode(tenant_id, query_id, query.nextToken),
    )
    if member_id and not items and not query.nextToken:
        members.load(tenant_id, member_id)  # an empty first page: 404 if the member does not exist
    return Page([shape(item) for item in items], cursor.encode(tenant_id, query_id, last))
