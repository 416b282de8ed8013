"""Reads, queries and transactions on the table, with DynamoDB failures mapped to the contract's errors."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.exceptions import ConnectionError as NeverSent

from loyalty.errors import Throttled, Unavailable
from loyalty.repository import retry
from loyalty.repository.client import client, table_name
from loyalty.repository.marshal import from_item, to_attr, to_item
from loyalty.repository.retry import ConditionFailed, Contention, Rejected

__all__ = ["ConditionFailed", "Contention", "Rejected"]

Key = dict[str, str]
TxItem = dict[str, Any]

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


def _call(operation: Callable[..., dict], *, writes: bool = False, **kwargs: Any) -> dict:
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


def key(pk: str, sk: str) -> Key:
    return {"pk": pk, "sk": sk}


def get(item_key: Key) -> dict[str, Any] | None:
    """One item by key, strongly consistent."""
    answer = _call(client.get_item, TableName=table_name(), Key=to_item(item_key), ConsistentRead=True)
    return from_item(answer.get("Item"))


def get_many(keys: list[Key]) -> list[dict[str, Any] | None]:
    """Several items (GetItem for one, BatchGetItem for more), in the order asked, however many.

    BatchGetItem takes at most BATCH_GET_LIMIT keys a call, so the keys go in chunks; keys DynamoDB
    leaves unprocessed (throttling, the 16 MB answer limit) are asked again after a jittered backoff.
    """
    if len(keys) == 1:
        return [get(keys[0])]
    unique = _unique(keys)
    by_key: dict[tuple[str, str], dict[str, Any]] = {}
    for start in range(0, len(unique), BATCH_GET_LIMIT):
        by_key.update(_batch_get(unique[start : start + BATCH_GET_LIMIT]))
    return [by_key.get((k["pk"], k["sk"])) for k in keys]


def _batch_get(chunk: list[Key]) -> dict[tuple[str, str], dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    request: dict[str, Any] = {table_name(): {"Keys": [to_item(k) for k in chunk], "ConsistentRead": True}}
    budget = retry.outages()
    while True:
        answer = _call(client.batch_get_item, RequestItems=request)
        for raw in answer.get("Responses", {}).get(table_name(), []):
            item = from_item(raw)
            assert item is not None
            found[(item["pk"], item["sk"])] = item
        request = answer.get("UnprocessedKeys") or {}
        if not request:
            return found
        if not budget.wait():  # keys left unprocessed are throttled reads
            raise Throttled()


def _unique(keys: Iterable[Key]) -> list[Key]:
    seen: dict[tuple[str, str], Key] = {}
    for k in keys:
        seen.setdefault((k["pk"], k["sk"]), k)
    return list(seen.values())


def query(
    partition: tuple[str, str],
    *,
    index: str | None = None,
    sort: str | None = None,
    values: dict[str, Any] | None = None,
    names: dict[str, str] | None = None,
    filter_expression: str | None = None,
    newest_first: bool = False,
    limit: int | None = None,
    start: dict[str, Any] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One Query call. `partition` is (attribute, value); `sort` a condition on the sort key named #s."""
    attribute, value = partition
    sort_attribute = "sk" if index is None else f"{index}sk"
    expression = "#p = :p" + (f" AND {sort}" if sort else "")
    all_names = {"#p": attribute, **({"#s": sort_attribute} if sort else {}), **(names or {})}
    all_values = {":p": value, **(values or {})}
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


def transact(items: list[TxItem]) -> None:
    """Apply all writes or none (TransactWriteItems; a single write goes through the same call)."""
    if len(items) > TRANSACT_LIMIT:  # a caller must bound its writes; DynamoDB would refuse them
        raise Rejected(f"a transaction takes at most {TRANSACT_LIMIT} items, not {len(items)}")
    try:
        _call(client.transact_write_items, writes=True, TransactItems=items)
    except ConditionFailed as failed:
        raise ConditionFailed(failed.failed, retry.signature(items, failed.failed)) from None


def put_plain(item: dict[str, Any]) -> None:
    """An unconditional single-item write (operator tooling only, never on money-like state)."""
    _call(client.put_item, TableName=table_name(), Item=to_item(item))


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
    return put(item, condition="attribute_not_exists(pk)")


def update(
    item_key: Key,
    *,
    set_values: dict[str, Any] | None = None,
    add: dict[str, int] | None = None,
    remove: Iterable[str] = (),
    condition: str | None = None,
    names: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    set_if_missing: dict[str, Any] | None = None,
    grow: dict[str, tuple[int, int]] | None = None,
) -> TxItem:
    """An update of named attributes; `condition` may use its own #names and :values.

    `set_if_missing` sets attributes the item does not have yet; `grow` maps an attribute to
    (start, amount): it becomes start + amount if missing, else grows by amount — so one update
    creates an item or extends it, whichever is needed.
    """
    all_names = dict(names or {})
    all_values = dict(values or {})
    clauses: list[str] = []
    sets = []
    for i, (attribute, value) in enumerate((set_values or {}).items()):
        all_names[f"#u{i}"] = attribute
        all_values[f":u{i}"] = value
        sets.append(f"#u{i} = :u{i}")
    for i, (attribute, value) in enumerate((set_if_missing or {}).items()):
        all_names[f"#m{i}"] = attribute
        all_values[f":m{i}"] = value
        sets.append(f"#m{i} = if_not_exists(#m{i}, :m{i})")
    for i, (attribute, (start, amount)) in enumerate((grow or {}).items()):
        all_names[f"#g{i}"] = attribute
        all_values[f":g{i}"], all_values[f":gd{i}"] = start, amount
        sets.append(f"#g{i} = if_not_exists(#g{i}, :g{i}) + :gd{i}")
    if sets:
        clauses.append("SET " + ", ".join(sets))
    adds = []
    for i, (attribute, amount) in enumerate((add or {}).items()):
        all_names[f"#a{i}"] = attribute
        all_values[f":a{i}"] = amount
        adds.append(f"#a{i} :a{i}")
    if adds:
        clauses.append("ADD " + ", ".join(adds))
    removes = []
    for i, attribute in enumerate(remove):
        all_names[f"#r{i}"] = attribute
        removes.append(f"#r{i}")
    if removes:
        clauses.append("REMOVE " + ", ".join(removes))
    body: dict[str, Any] = {
        "TableName": table_name(),
        "Key": to_item(item_key),
        "UpdateExpression": " ".join(clauses),
    }
    if condition:
        body["ConditionExpression"] = condition
    body.update(_placeholders(all_names, all_values))
    return {"Update": body}


def delete(
    item_key: Key,
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
    item_key: Key, condition: str, names: dict[str, str] | None = None, values: dict[str, Any] | None = None
) -> TxItem:
    body: dict[str, Any] = {
        "TableName": table_name(),
        "Key": to_item(item_key),
        "ConditionExpression": condition,
    }
    body.update(_placeholders(names, values))
    return {"ConditionCheck": body}
