"""Newest-first pages of ULID-keyed collections (one member's or the program's), with time bounds."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from loyalty import ids
from loyalty.repository import paging, sharded, store
from loyalty.results import Page
from loyalty.services import members

if TYPE_CHECKING:
    from loyalty.models.common import TimeRange

R = TypeVar("R", bound=Mapping[str, Any])  # the record a list holds


def newest_first(
    tenant_id: str,
    query: TimeRange,
    member_id: str | None,
    name: str,
    collection: store.Collection[R] | sharded.ShardedCollection[R],
    filters: tuple[str, ...],
    shape: Callable[[R], dict[str, Any]],
) -> Page[list[dict[str, Any]]]:
    """One page of `collection`: one Query of the member's list, a scatter-gather of the program's shards.

    `from` / `to` are key bounds on the ULID sort key; `filters` name the query's equality filters.
    """
    page = paging.request(tenant_id, f"{name}:{member_id or ''}", query.given(), bounds=("from", "to"))
    items, last = collection.query(
        between=ids.ulid_range(query.from_, query.to),
        equals={field: getattr(query, field) or None for field in filters},
        newest_first=True,
        limit=page.limit,
        start=page.start,
    )
    if member_id and not items and page.first:
        members.load(tenant_id, member_id)  # an empty first page: 404 if the member does not exist
    return Page([shape(item) for item in items], page.next_token(last))
