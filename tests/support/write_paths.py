"""What a write touches: every table and index partition of the TransactWriteItems the services issue, with WCU.

`recording()` wraps the DynamoDB client's transact_write_items: it reads every item the
transaction names before and after the call, and derives from the index definitions and
projections (repository.table) which index entries were written. An index entry is written when
its keys or a projected attribute change (a changed key is a delete in the old partition and a put
in the new one). WCU follow DynamoDB's rules: a transactional write costs 2 WCU per KB of the larger
of the item before and after, an index write 1 WCU per KB of the projected entry.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from loyalty.repository.client import client, table_name
from loyalty.repository.table import INDEXES, PARTITION_KEY, PROJECTIONS, SORT_KEY

TABLE = "table"
KB = 1024


@dataclass(frozen=True)
class Touch:
    """One write of one partition: of the table (`where` = "table") or of an index."""

    where: str
    partition: str
    wcu: int


def attribute_size(value: dict[str, Any]) -> int:
    """The stored size of one attribute value (DynamoDB's item-size rules)."""
    (kind, inner), *_ = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        digits = Decimal(inner).normalize().as_tuple().digits
        return math.ceil(len(digits) / 2) + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(name.encode()) + attribute_size(v) + 1 for name, v in inner.items())
    if kind == "L":
        return 3 + sum(attribute_size(v) + 1 for v in inner)
    return len(str(inner))


def item_size(item: dict[str, Any] | None) -> int:
    return sum(len(name.encode()) + attribute_size(value) for name, value in (item or {}).items())


def _kb(size: int) -> int:
    return max(1, math.ceil(size / KB))


def _entry(item: dict[str, Any] | None, index: str) -> dict[str, Any] | None:
    """The item as the index stores it (None when the item is not in the index)."""
    pk, sk = INDEXES[index]
    if item is None or pk not in item or sk not in item:
        return None
    projected = PROJECTIONS[index]
    keep = {PARTITION_KEY, SORT_KEY, pk, sk, *(projected or item)}
    return {name: value for name, value in item.items() if name in keep}


def touches(operations: list[dict[str, Any]], before: list[Any], after: list[Any]) -> list[Touch]:
    """Every partition write of one transaction, from the items as they were before and after it."""
    out: list[Touch] = []
    for operation, old, new in zip(operations, before, after, strict=True):
        (kind, body), *_ = operation.items()
        partition = (body.get("Key") or body.get("Item"))[PARTITION_KEY]["S"]
        out.append(Touch(TABLE, partition, 2 * _kb(max(item_size(old), item_size(new)))))
        if kind == "ConditionCheck":
            continue
        for index, (pk, _) in INDEXES.items():
            was, now = _entry(old, index), _entry(new, index)
            if was == now:
                continue
            same_place = was and now and all(was[name] == now[name] for name in INDEXES[index])
            if was and not same_place:
                out.append(Touch(index, was[pk]["S"], _kb(item_size(was))))
            if now:
                out.append(Touch(index, now[pk]["S"], _kb(item_size(now))))
    return out


def _get(key: dict[str, Any]) -> dict[str, Any] | None:
    return client.get_item(TableName=table_name(), Key=key, ConsistentRead=True).get("Item")


@contextmanager
def recording() -> Iterator[list[list[Touch]]]:
    """Every TransactWriteItems call made inside, as the partition writes it made (one list per call)."""
    calls: list[list[Touch]] = []
    original = client.transact_write_items

    def record(**kwargs: Any) -> dict[str, Any]:
        operations = kwargs["TransactItems"]
        keys = [_key(operation) for operation in operations]
        before = [_get(key) for key in keys]
        answer = original(**kwargs)
        calls.append(touches(operations, before, [_get(key) for key in keys]))
        return answer

    client.transact_write_items = record
    try:
        yield calls
    finally:
        del client.transact_write_items


def _key(operation: dict[str, Any]) -> dict[str, Any]:
    (_, body), *_ = operation.items()
    if "Key" in body:
        return body["Key"]
    return {name: body["Item"][name] for name in (PARTITION_KEY, SORT_KEY)}
