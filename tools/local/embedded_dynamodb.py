"""An in-process DynamoDB (moto) for unit tests, the state machine, `loyalty invoke` and the call-counting bench.

moto is not safe under concurrent threads, so nothing concurrent runs on it: the local API and the
integration suite run on DynamoDB Local. A failed transaction here restores only the items it
touched (so a transaction costs the same with 10 or with 50,000 items in the table).
"""

from __future__ import annotations

import copy
import json
import os
from typing import Any

from loyalty.repository.table import LOCAL_TABLE_NAME

from tools.local.constants import FAKE_CREDENTIALS

_started: dict[str, Any] = {}


def _use_fake_credentials() -> None:
    os.environ.update(FAKE_CREDENTIALS)
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)


def _cheap_transaction_rollback() -> None:
    import moto.dynamodb.models as models
    from moto.dynamodb.models.table import Table

    class _KeepTables:
        """moto backs up each whole table before a transaction; keep the table and back up items instead."""

        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    models.copy = _KeepTables  # type: ignore[assignment, attr-defined]  # patches the `copy` module moto imported
    original = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        touched = []
        for entry in transact_items[:100]:
            operation = next(iter(entry.values()))
            table = self.tables.get(operation.get("TableName"))
            if table is None:
                continue
            item_key = operation.get("Key") or {
                name: operation["Item"][name]
                for name in (table.hash_key_attr, table.range_key_attr)
                if name and name in operation.get("Item", {})
            }
            try:
                current = self.get_item(table.name, item_key)
            except Exception:
                continue
            touched.append((table.name, item_key, copy.deepcopy(current.to_json()["Attributes"]) if current else None))
        try:
            original(self, transact_items)
        except Exception:
            for table_name, item_key, attributes in reversed(touched):
                if attributes is None:
                    self.delete_item(table_name, item_key)
                else:
                    self.put_item(table_name, attributes)
            raise

    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]  # moto patched in place (see above)


# Operations whose results moto already holds in DynamoDB's wire format (items of typed values).
_WIRE_FORMAT_RESULTS = {"GetItem", "BatchGetItem", "Query", "PutItem", "UpdateItem", "DeleteItem", "TransactGetItems"}


def _fast_item_responses() -> None:
    """moto 5 serialises every response by walking botocore's shapes, ~10 ms for a page of items;
    an item result is already wire-format JSON, so write it out directly (table descriptions,
    which hold timestamps, keep moto's serialiser)."""
    from moto.dynamodb.responses import DynamoResult

    original = DynamoResult.execute_result

    def execute_result(self: DynamoResult, context: Any) -> Any:
        result = self.result
        if context.operation_model.name in _WIRE_FORMAT_RESULTS and isinstance(result, dict):
            body = json.dumps({k: v for k, v in result.items() if v is not None})
            return 200, {"Content-Type": "application/x-amz-json-1.0"}, body
        return original(self, context)

    DynamoResult.execute_result = execute_result  # type: ignore[assignment]  # a patch with moto's own call shape


def _partition_queries() -> None:
    """moto answers a Query by sorting every item of the table and comparing each one; hand it only
    the items of the queried partition (of the table or of the index), which is what it would keep."""
    from moto.dynamodb.models.table import Table

    original_query, original_all_items = Table.query, Table.all_items

    def all_items(self: Table) -> list[Any]:
        wanted = getattr(self, "_wanted", None)
        if wanted is None:
            return original_all_items(self)
        if wanted[0] is None:  # the table's own partition: moto keeps items by hash key
            return list(self.items.get(wanted[1], {}).values())
        return [
            item
            for partition in self.items.values()
            for item in partition.values()
            if all(getattr(item.attrs.get(name), "value", None) == value for name, value in wanted[1])
        ]

    def query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        conditions = kwargs.get("hash_key_conditions")
        index_name = kwargs.get("index_name") or (args[6] if len(args) > 6 else None)
        if index_name:
            wanted = ("index", [(name, value.value) for name, value in conditions]) if conditions else None
            self._wanted = wanted  # type: ignore[attr-defined]  # this patch's own mark on moto's Table
        elif self.range_key_attr and hash_key is not None:
            self._wanted = (None, hash_key)  # type: ignore[attr-defined]  # as above
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            self._wanted = None  # type: ignore[attr-defined]  # as above

    Table.all_items = all_items  # type: ignore[method-assign]  # moto patched in place (see above)
    Table.query = query  # type: ignore[method-assign]  # moto patched in place (see above)


def start(table_name: str = LOCAL_TABLE_NAME) -> None:
    """Start the embedded DynamoDB (once per process) and create the table. Call before importing loyalty.*."""
    if _started:
        return
    _use_fake_credentials()
    os.environ["TABLE_NAME"] = table_name
    from moto import mock_aws

    mock = mock_aws()
    mock.start()
    _cheap_transaction_rollback()
    _fast_item_responses()
    _partition_queries()
    _started["mock"] = mock
    create_table(table_name)


def create_table(table_name: str) -> None:
    """Create the table from the same definition the CDK stack uses."""
    import boto3
    from loyalty.repository.table import create_table_request

    boto3.client("dynamodb").create_table(**create_table_request(table_name))


def reset(table_name: str = LOCAL_TABLE_NAME) -> None:
    """Drop and recreate the table (fresh state for a test)."""
    import boto3

    client = boto3.client("dynamodb")
    client.delete_table(TableName=table_name)
    create_table(table_name)
