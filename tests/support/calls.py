"""The loyalty DynamoDB client's calls made inside a block, with what they asked for (counts, keys written)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from loyalty.repository.client import client
from loyalty.repository.marshal import from_item
from loyalty.repository.table import PARTITION_KEY, SORT_KEY

Call = tuple[str, dict[str, Any]]


@contextmanager
def recorded() -> Iterator[list[Call]]:
    """Every call of the loyalty client made inside, as (API name, its parameters), in order."""
    calls: list[Call] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        calls.append((model.name, params))

    client.meta.events.register("before-parameter-build.dynamodb", record)
    try:
        yield calls
    finally:
        client.meta.events.unregister("before-parameter-build.dynamodb", record)


def by_api(calls: list[Call]) -> Counter[str]:
    """How many calls of each API (what `make bench` counts)."""
    return Counter(name for name, _ in calls)


def written(calls: list[Call]) -> list[dict[str, Any]]:
    """The primary key of every item the transactions among `calls` wrote (or checked), as plain values."""
    keys = []
    for name, params in calls:
        for operation in params.get("TransactItems", []) if name == "TransactWriteItems" else []:
            ((_, body),) = operation.items()
            raw = body.get("Key") or {n: body["Item"][n] for n in (PARTITION_KEY, SORT_KEY)}
            keys.append(from_item(raw))
    return keys
