"""A change stream over the embedded table for unit tests: the table read before and after a call, the
differences as DynamoDB Streams records (NEW_AND_OLD_IMAGES, Lambda's shape), as the deployed table sends them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from loyalty.repository.client import client, table_name


def _snapshot() -> dict[tuple[str, str], dict[str, Any]]:
    items: dict[tuple[str, str], dict[str, Any]] = {}
    pages = client.get_paginator("scan").paginate(TableName=table_name())
    for page in pages:
        for item in page["Items"]:
            items[(item["pk"]["S"], item["sk"]["S"])] = item
    return items


def record(pk: str, sk: str, old: dict[str, Any] | None, new: dict[str, Any] | None, at: int = 1767776400) -> dict:
    """One stream record with typed images (None: no such image)."""
    name = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
    body: dict[str, Any] = {"Keys": {"pk": {"S": pk}, "sk": {"S": sk}}, "ApproximateCreationDateTime": at}
    if old is not None:
        body["OldImage"] = old
    if new is not None:
        body["NewImage"] = new
    return {"eventName": name, "eventSource": "aws:dynamodb", "dynamodb": body}


class Stream:
    """`changes(call)`: call, then the stream records of what it changed (in key order)."""

    def changes(self, call: Callable[[], Any]) -> list[dict[str, Any]]:
        before = _snapshot()
        call()
        after = _snapshot()
        changed = sorted(k for k in {*before, *after} if before.get(k) != after.get(k))
        return [record(pk, sk, before.get((pk, sk)), after.get((pk, sk))) for pk, sk in changed]
