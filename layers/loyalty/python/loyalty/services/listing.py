"""Newest-first pages of ULID-keyed collections: one member's (gsi1) or the program's (gsi2), with time bounds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from loyalty import clock, ids
from loyalty.errors import ValidationFailed
from loyalty.repository import cursor, store
from loyalty.results import Page
from loyalty.services import members


def newest_first(
    tenant_id: str,
    query: dict[str, Any],
    member_id: str | None,
    name: str,
    member_partition: str,
    program_partition: str,
    filters: tuple[str, ...],
    shape: Callable[[dict[str, Any]], dict[str, Any]],
) -> Page:
    """One Query: `from` / `to` are key bounds on the ULID sort key, `filters` are equality filters."""
    index = "gsi1" if member_id else "gsi2"
    partition = (f"{index}pk", member_partition if member_id else program_partition)
    if query.get("from") and query.get("to") and query["from"] > query["to"]:
        raise ValidationFailed(details=[{"field": "to", "message": "must not be before from"}])
    low = ids.ulid_floor(clock.parse_iso(query["from"])) if query.get("from") else "0"
    high = ids.ulid_ceiling(clock.parse_iso(query["to"])) if query.get("to") else "Z" * 26
    conditions, names, values = [], {}, {":low": low, ":high": high}
    for field in filters:
        if query.get(field):
            conditions.append(f"#{field} = :{field}")
            names[f"#{field}"] = field
            values[f":{field}"] = query[field]
    query_id = cursor.query_id(f"{name}:{member_id or ''}", query)
    items, last = store.query(
        partition,
        index=index,
        sort="#s BETWEEN :low AND :high",
        values=values,
        names=names or None,
        filter_expression=" AND ".join(conditions) or None,
        newest_first=True,
        limit=query.get("limit", 25),
        start=cursor.decode(tenant_id, query_id, query.get("nextToken")),
    )
    if member_id and not items and not query.get("nextToken"):
        members.load(tenant_id, member_id)  # an empty first page: 404 if the member does not exist
    return Page([shape(item) for item in items], cursor.encode(tenant_id, query_id, last))
