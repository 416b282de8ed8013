"""What a service returns besides a plain dict: a page of a list, or data with a status of its own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T", list[dict[str, Any]], dict[str, Any])


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: the items (or, for a page of several lists, a dict of them) and the token
    of the next page (None on the last)."""

    items: T
    next_token: str | None


@dataclass(frozen=True)
class Answer:
    """Data answered with another status than the endpoint declares (an order already recorded: 200)."""

    data: dict[str, Any]
    status: int
