"""Reads, queries and transactions on the table, with DynamoDB failures mapped to the contract's errors."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from botocore.exceptions import BotoCoreError, ClientError
from botocore.exceptions import ConnectionError as NeverSent

from loyalty.errors import NotFound, Throttled, Unavailable
from loyalty.repository import retry
from loyalty.repository.client import client, table_name
from loyalty.repository.marshal import from_item, to_attr, to_item
from loyalty.repository.retry import ConditionFailed, Contention, Rejected
from loyalty.repository.table import INDEXES, PARTITION_KEY, SORT_KEY

__all__ = ["ConditionFailed", "Contention", "Rejected"]

R = TypeVar("R", bound=Mapping[str, Any])  # a record read by key
if TYPE_CHECKING:
    from typing_extensions import TypeVar as TypeVarWithDefault

    Record = TypeVarWithDefault("Record", covariant=True, bound=Mapping[str, Any], default=dict[str, Any])
else:
    Record = TypeVar("Record", covariant=True, bound=Mapping[str, Any])


class Key(dict[str, str], Generic[Record]):
    """An item's primary key, typed by the record stored under it (`Key[MemberRecord]`): a read by key returns
    that record. For the type checker only: a key is a plain dict at run time (see `key`)."""


TxItem = dict[str, Any]
ABSENT, PRESENT = f"attribute_not_exists({PARTITION_KEY})", f"attribute_exists({PARTITION_KEY})"

BATCH_GET_LIMIT = 100  # keys per BatchGetItem call (DynamoDB's limit)
TRANSACT_LIMIT = 100  # items per TransactWriteItems call (DynamoDB's limit)

_THROTTLING = {"ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded"}
_OUTAGE = {"InternalServerError", "ServiceUnavailable", "TransactionInProgressException"}
_INVALID = {"ValidationException", "ItemCollectionSizeLimitExceededException", "SerializationException"}
_INVALID_REASONS = {"ValidationError", "ItemCollectionSizeLimitExceeded"}
_THROTTLING_REASONS = {"ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"}


class _Outcome:
    """What a failure says about the call: certainly not applied, maybe applied, or not worth sending again."""

    NOT_APPLIED, UNKNOWN, FINAL = "not applied", "unknown", "final"


def _call(operation: Callable[..., dict[str, Any]], *, writes: bool = False, **kwargs: Any) -> dict[str, Any]:
    """One DynamoDB call under the retry policy: what was certainly not applied (and any read) is sent again."""
    budget = retry.outages()
    while True:
        try:
            return operation(**kwargs)
        except ClientError as exc:
            error, outcome = _translate(exc)
        except NeverSent:  # EndpointConnectionError, ConnectTimeoutError: the request never left
            error, outcome = Unavailable(), _Outcome.NOT_APPLIED
        except BotoCoreError:  # ReadTimeoutError, ConnectionClosedError: sent, outcome unknown
            error, outcome = Unavailable(), _Outcome.UNKNOWN
        retryable = outcome == _Outcome.NOT_APPLIED or (outcome == _Outcome.UNKNOWN and not writes)
        if not retryable or not budget.wait():
            raise error from None


def _translate(exc: ClientError) -> tuple[Exception, str]:
    code = exc.response.get("Error", {}).get("Code", "")
    message = exc.response.get("Error", {}).get("Message", "")
    if code in _THROTTLING:
        return Throttled(), _Outcome.NOT_APPLIED
    if code == "TransactionConflictException":
        return Contention(), _Outcome.FINAL
    if code in _OUTAGE:
        return Unavailable(), _Outcome.UNKNOWN
    if code == "ConditionalCheckFailedException":
        return ConditionFailed([0]), _Outcome.FINAL
    if code in _INVALID:
        return Rejected(f"{code}: {message}"), _Outcome.FINAL
    if code == "TransactionCanceledException":
        reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
        if _INVALID_REASONS & set(reasons):
            return Rejected(f"{code}: {reasons} {message}"), _Outcome.FINAL
        failed = [i for i, reason in enumerate(reasons) if reason == "ConditionalCheckFailed"]
        if failed:
            return ConditionFailed(failed), _Outcome.FINAL
        if _THROTTLING_REASONS & set(reasons):
            return Throttled(), _Outcome.NOT_APPLIED
        if "TransactionConflict" in reasons:
            return Contention(), _Outcome.FINAL
        return Unavailable(), _Outcome.NOT_APPLIED  # cancelled for no reason we know: nothing was written
    return exc, _Outcome.FINAL


def key(pk: str, sk: str) -> Key[Any]:
    """The key (pk, sk); the entity's own `key` function names the record it holds."""
    return cast("Key[Any]", {PARTITION_KEY: pk, SORT_KEY: sk})


def index_entry(index: str, partition: str, sort: str) -> dict[str, str]:
    """The attributes that put an item in an index's partition at a sort position."""
    pk, sk = INDEXES[index]
    return {pk: partition, sk: sort}


_STORAGE_ATTRIBUTES = frozenset({PARTITION_KEY, SORT_KEY, *(name for pair in INDEXES.values() for name in pair)})


def plain(item: R) -> R:
    """An item without its key and index attributes: the entity as a service sees it (a record names neither)."""
    return cast(R, {name: value for name, value in item.items() if name not in _STORAGE_ATTRIBUTES})


def key_of(item: Mapping[str, Any], index: str | None = None) -> Key[Any]:
    """The primary key of an item, plus its key in `index`: what a page of that index ends at."""
    names = [PARTITION_KEY, SORT_KEY, *(INDEXES[index] if index else ())]
    return cast("Key[Any]", {name: item[name] for name in names})


def sort_key(item: Mapping[str, Any]) -> str:
    sort: str = item[SORT_KEY]
    return sort


def partition_of(item: Mapping[str, Any]) -> str:
    partition: str = item[PARTITION_KEY]
    return partition


def required(item: R | None, what: str) -> R:
    """The item, or a 404 naming what does not exist."""
    if item is None:
        raise NotFound(f"The {what} does not exist.")
    return item


def get_required(item_key: Key[R], what: str) -> R:
    """One item by key, or a 404 naming what does not exist."""
    return required(get(item_key), what)


def get(item_key: Key[R], *, consistent: bool = True) -> R | None:
    """One item by key, strongly consistent unless asked otherwise."""
    answer = _call(client.get_item, TableName=table_name(), Key=to_item(item_key), ConsistentRead=consistent)
    return cast("R | None", from_item(answer.get("Item")))


def get_many(keys: list[Key[R]], *, consistent: bool = True) -> list[R | None]:
    """Several items (GetItem for one, BatchGetItem for more), in the order asked, however many.

    BatchGetItem takes at most BATCH_GET_LIMIT keys a call, so the keys go in chunks; keys DynamoDB
    leaves unprocessed (throttling, the 16 MB answer limit) are asked again after a jittered backoff.
    `consistent=False` halves the read units where a second-old value is fine (counts on list pages).
    """
    if len(keys) == 1:
        return [get(keys[0], consistent=consistent)]
    unique = _unique(keys)
    by_key: dict[tuple[str, str], R] = {}
    for start in range(0, len(unique), BATCH_GET_LIMIT):
        by_key.update(_batch_get(unique[start : start + BATCH_GET_LIMIT], consistent))
    return [by_key.get((k[PARTITION_KEY], k[SORT_KEY])) for k in keys]


def current(keys: list[Key[R]], field: str, value: Any) -> list[R]:
    """The items at `keys` as the table holds them now (strongly consistent), in order, leaving out those gone
    or whose `field` is no longer `value`: an index page (eventually consistent) with its lag undone."""
    found = get_many(keys) if keys else []
    return [item for item in found if item is not None and item.get(field) == value]


def get_groups(groups: list[list[Key[R]]], *, consistent: bool = True) -> list[list[R]]:
    """The items of each group of keys that exist, group by group, read together (`get_many`)."""
    found = iter(get_many([k for group in groups for k in group], consistent=consistent)) if groups else iter([])
    return [[item for item in itertools.islice(found, len(group)) if item] for group in groups]


def whole(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The table items behind entries of an index that projects only some attributes (LOOKUP), in
    order; one BatchGetItem (GetItem for one). An item deleted since the index was read is left out."""
    found = get_many([key_of(entry) for entry in entries]) if entries else []
    return [item for item in found if item is not None]


def _batch_get(chunk: list[Key[R]], consistent: bool) -> dict[tuple[str, str], R]:
    found: dict[tuple[str, str], R] = {}
    request: dict[str, Any] = {table_name(): {"Keys": [to_item(k) for k in chunk], "ConsistentRead": consistent}}
    budget = retry.outages()
    while True:
        answer = _call(client.batch_get_item, RequestItems=request)
        for raw in answer.get("Responses", {}).get(table_name(), []):
            item = from_item(raw)
            assert item is not None
            found[(item[PARTITION_KEY], item[SORT_KEY])] = cast(R, item)
        request = answer.get("UnprocessedKeys") or {}
        if not request:
            return found
        if not budget.wait():  # keys left unprocessed are throttled reads
            raise Throttled()


def _unique(keys: Iterable[Key[R]]) -> list[Key[R]]:
    seen: dict[tuple[str, str], Key[R]] = {}
    for k in keys:
        seen.setdefault((k[PARTITION_KEY], k[SORT_KEY]), k)
    return list(seen.values())


def query(
    partition: tuple[str, str],
    *,
    index: str | None = None,
    sort: str | None = None,
    values: dict[str, Any] | None = None,
    names: dict[str, str] | None = None,
    filter_expression: str | None = None,
    equals: dict[str, Any] | None = None,
    between: tuple[str, str] | None = None,
    within: dict[str, tuple[Any, Any]] | None = None,
    newest_first: bool = False,
    limit: int | None = None,
    start: dict[str, Any] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One Query call. `partition` is (attribute, value); `sort` a condition on the sort key named #s.

    `between` is (low, high), the sort key's inclusive range (instead of `sort`). `equals` filters on
    attribute values (a None value is no filter); `within` on (low, high) ranges of attribute values,
    both ends inclusive (a None end is open); `filter_expression` adds its own.
    """
    attribute, value = partition
    sort_attribute = SORT_KEY if index is None else INDEXES[index][1]
    names, values = dict(names or {}), dict(values or {})
    if between is not None:
        assert sort is None, "a sort condition or a range, not both"
        sort = "#s BETWEEN :low AND :high"
        values[":low"], values[":high"] = between
    conditions = [filter_expression] if filter_expression else []
    for i, (name, wanted) in enumerate((equals or {}).items()):
        if wanted is not None:
            names[f"#f{i}"], values[f":f{i}"] = name, wanted
            conditions.append(f"#f{i} = :f{i}")
    for i, (name, ends) in enumerate((within or {}).items()):
        for end, (operator, bound) in enumerate(zip((">=", "<="), ends, strict=True)):
            if bound is not None:
                names[f"#w{i}"], values[f":w{i}e{end}"] = name, bound
                conditions.append(f"#w{i} {operator} :w{i}e{end}")
    filter_expression = " AND ".join(conditions) or None
    expression = "#p = :p" + (f" AND {sort}" if sort else "")
    all_names = {"#p": attribute, **({"#s": sort_attribute} if sort else {}), **names}
    all_values = {":p": value, **values}
    kwargs: dict[str, Any] = {
        "TableName": table_name(),
        "KeyConditionExpression": expression,
        "ExpressionAttributeNames": all_names,
        "ExpressionAttributeValues": to_item(all_values),
        "ScanIndexForward": not newest_first,
    }
    if index:
        kwargs["IndexName"] = index
    else:
        kwargs["ConsistentRead"] = True
    if filter_expression:
        kwargs["FilterExpression"] = filter_expression
    if limit:
        kwargs["Limit"] = limit
    if start:
        kwargs["ExclusiveStartKey"] = to_item(start)
    answer = _call(client.query, **kwargs)
    items = [from_item(raw) for raw in answer.get("Items", [])]
    last = from_item(answer.get("LastEvaluatedKey"))
    return [i for i in items if i is not None], last


@dataclass(frozen=True)
class Collection(Generic[Record]):
    """One partition of the table (index None) or of an index: what one Query reads, in sort-key order.
    `Collection[TransactionRecord]`: its items are those records (with their key and index attributes)."""

    partition: str
    index: str | None = None

    def query(self, **kwargs: Any) -> tuple[list[Record], dict[str, Any] | None]:
        """One page (see `query` for the options)."""
        attribute = INDEXES[self.index][0] if self.index else PARTITION_KEY
        items, last = query((attribute, self.partition), index=self.index, **kwargs)
        return cast("list[Record]", items), last

    def all(self, **kwargs: Any) -> list[Record]:
        """Every item, page after page (jobs, the checker and operator tools; requests read one page)."""
        found: list[Record] = []
        start = None
        while True:
            items, start = self.query(start=start, **kwargs)
            found += items
            if not start:
                return found


def transact(items: list[TxItem]) -> None:
    """Apply all writes or none (TransactWriteItems; a single write goes through the same call)."""
    if len(items) > TRANSACT_LIMIT:  # a caller must bound its writes; DynamoDB would refuse them
        raise Rejected(f"a transaction takes at most {TRANSACT_LIMIT} items, not {len(items)}")
    try:
        _call(client.transact_write_items, writes=True, TransactItems=items)
    except ConditionFailed as failed:
        raise ConditionFailed(
            failed.failed, retry.signature(items, failed.failed), retry.shown(items, failed.failed)
        ) from None


def put_plain(item: dict[str, Any]) -> None:
    """An unconditional single-item write (operator tooling only, never on money-like state)."""
    _call(client.put_item, TableName=table_name(), Item=to_item(item))


def applied(write: TxItem) -> bool:
    """Make one conditional write; False when its condition refused it (nothing written)."""
    try:
        transact([write])
    except ConditionFailed:
        return False
    return True


def create(item: dict[str, Any]) -> bool:
    """Write the item unless one with its key exists; False when one did (a write made at most once)."""
    return applied(put_new(item))


# --- transaction item builders -------------------------------------------------------------------


def _placeholders(names: dict[str, str] | None, values: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if names:
        out["ExpressionAttributeNames"] = names
    if values:
        out["ExpressionAttributeValues"] = {k: to_attr(v) for k, v in values.items()}
    return out


def put(
    item: dict[str, Any],
    *,
    condition: str | None = None,
    names: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> TxItem:
    body: dict[str, Any] = {"TableName": table_name(), "Item": to_item(item)}
    if condition:
        body["ConditionExpression"] = condition
    body.update(_placeholders(names, values))
    return {"Put": body}


def put_versioned(item: dict[str, Any], version: int) -> TxItem:
    """A put that fails unless the stored item still has `version` (optimistic concurrency)."""
    return put(item, condition="#v = :v", names={"#v": "version"}, values={":v": version})


def put_new(item: dict[str, Any]) -> TxItem:
    """A put that fails if an item with this key exists (creates, guards, idempotency records)."""
    return put(item, condition=ABSENT)


def _clause(
    verb: str,
    tag: str,
    form: str,
    pairs: Iterable[tuple[str, Any]],
    names: dict[str, str],
    values: dict[str, Any],
) -> str:
    """One clause of an update expression (SET, ADD or REMOVE), its placeholders added to names/values."""
    parts = []
    for i, (attribute, value) in enumerate(pairs):
        names[f"#{tag}{i}"] = attribute
        if verb != "REMOVE":
            values[f":{tag}{i}"] = value
        parts.append(form.format(n=f"#{tag}{i}", v=f":{tag}{i}"))
    return f"{verb} " + ", ".join(parts) if parts else ""


def update(
    item_key: Key[Any],
    *,
    set_values: dict[str, Any] | None = None,
    add: dict[str, int] | None = None,
    remove: Iterable[str] = (),
    condition: str | None = None,
    names: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    set_if_missing: dict[str, Any] | None = None,
    grow: dict[str, tuple[int, int]] | None = None,
    append: dict[str, list[Any]] | None = None,
) -> TxItem:
    """An update of named attributes; `condition` may use its own #names and :values.

    `set_if_missing` sets attributes the item does not have yet; `grow` maps an attribute to
    (start, amount): it becomes start + amount if missing, else grows by amount — so one update
    creates an item or extends it, whichever is needed; `append` adds entries at the end of a list
    attribute (created when missing).
    """
    all_names = dict(names or {})
    all_values = dict(values or {})
    for i, (_, amount) in enumerate((grow or {}).values()):
        all_values[f":g{i}d"] = amount
    if append:
        all_values[":nolist"] = []
    sets = [
        _clause("SET", "u", "{n} = {v}", (set_values or {}).items(), all_names, all_values),
        _clause(
            "SET",
            "l",
            "{n} = list_append(if_not_exists({n}, :nolist), {v})",
            (append or {}).items(),
            all_names,
            all_values,
        ),
        _clause("SET", "m", "{n} = if_not_exists({n}, {v})", (set_if_missing or {}).items(), all_names, all_values),
        _clause(
            "SET",
            "g",
            "{n} = if_not_exists({n}, {v}) + {v}d",
            ((attribute, start) for attribute, (start, _) in (grow or {}).items()),
            all_names,
            all_values,
        ),
    ]
    clauses = [
        "SET " + ", ".join(clause[len("SET ") :] for clause in sets if clause),
        _clause("ADD", "a", "{n} {v}", (add or {}).items(), all_names, all_values),
        _clause("REMOVE", "r", "{n}", ((attribute, None) for attribute in remove), all_names, all_values),
    ]
    if not any(sets):
        clauses[0] = ""
    body: dict[str, Any] = {
        "TableName": table_name(),
        "Key": to_item(item_key),
        "UpdateExpression": " ".join(clause for clause in clauses if clause),
    }
    if condition:
        body["ConditionExpression"] = condition
    body.update(_placeholders(all_names, all_values))
    return {"Update": body}


def update_if(
    item_key: Key[Any], expected: dict[str, Any], set_values: dict[str, Any], remove: Iterable[str] = ()
) -> TxItem:
    """An update on condition that the item's attributes still hold the `expected` values (as read)."""
    names = {f"#e{i}": name for i, name in enumerate(expected)}
    values = {f":e{i}": value for i, value in enumerate(expected.values())}
    condition = " AND ".join(f"#e{i} = :e{i}" for i in range(len(expected)))
    return update(item_key, set_values=set_values, remove=remove, condition=condition, names=names, values=values)


def delete(
    item_key: Key[Any],
    *,
    condition: str | None = None,
    names: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> TxItem:
    body: dict[str, Any] = {"TableName": table_name(), "Key": to_item(item_key)}
    if condition:
        body["ConditionExpression"] = condition
    body.update(_placeholders(names, values))
    return {"Delete": body}


def check(
    item_key: Key[Any], condition: str, names: dict[str, str] | None = None, values: dict[str, Any] | None = None
) -> TxItem:
    body: dict[str, Any] = {
        "TableName": table_name(),
        "Key": to_item(item_key),
        "ConditionExpression": condition,
    }
    body.update(_placeholders(names, values))
    return {"ConditionCheck": body}
