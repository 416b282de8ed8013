"""A short per-container cache for settings read on every write (program settings, activities)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

# Settings change rarely and are read on every award: a container may serve them for this long
# after an update made through another container (its own updates are seen at once).
TTL_SECONDS = 30.0
_entries: dict[tuple[str, ...], tuple[float, Any]] = {}


def get(key: tuple[str, ...], load: Callable[[], T]) -> T:
    """The cached value of `key` (what `load` or `put` gave for it), or `load()` (cached when it is not None)."""
    entry = _entries.get(key)
    if entry and time.monotonic() - entry[0] < TTL_SECONDS:
        cached: T = entry[1]
        return cached
    value = load()
    if value is not None:
        _entries[key] = (time.monotonic(), value)
    return value


def put(key: tuple[str, ...], value: Any) -> None:
    """Remember a value this container has just written."""
    _entries[key] = (time.monotonic(), value)


def clear() -> None:
    _entries.clear()
