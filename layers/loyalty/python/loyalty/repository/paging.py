"""The page a list query asks for: its size, where it starts (from the signed nextToken) and the token after it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from loyalty.errors import ValidationFailed
from loyalty.repository import cursor

DEFAULT_LIMIT = 25


@dataclass(frozen=True)
class PageRequest:
    """`limit` items of a list from `start` (None: the first page), and how to name the page after them."""

    tenant_id: str
    query_id: str
    limit: int
    start: dict[str, Any] | None

    @property
    def first(self) -> bool:
        """No nextToken was given: the list's first page."""
        return self.start is None

    def next_token(self, last: dict[str, Any] | None) -> str | None:
        """The nextToken of the page after one that ended at `last` (None when there is no next page)."""
        return cursor.encode(self.tenant_id, self.query_id, last)


def request(tenant_id: str, name: str, query: dict[str, Any], *, bounds: tuple[str, str] | None = None) -> PageRequest:
    """The page `query` asks for of the list `name`; its nextToken is bound to the tenant, the list and the filters.

    `bounds` names the query's two ends of a range (`from`, `to`): a 400 when the first is after the second.
    A nextToken that is not one this query returned is a 400 as well.
    """
    if bounds is not None:
        low, high = (query.get(field) for field in bounds)
        if low and high and low > high:
            raise ValidationFailed(details=[{"field": bounds[1], "message": f"must not be before {bounds[0]}"}])
    query_id = cursor.query_id(name, query)
    start = cursor.decode(tenant_id, query_id, query.get("nextToken"))
    return PageRequest(tenant_id, query_id, query.get("limit", DEFAULT_LIMIT), start)
