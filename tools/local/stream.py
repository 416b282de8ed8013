"""The local table's change stream read as Lambda's event source mapping reads it deployed: DynamoDB Local
supports Streams (DescribeStream, GetShardIterator, GetRecords), so `make serve` runs this poller beside the
API and feeds each batch to the same consumer the deployed function runs (services/event_store.consume).

Each shard is read from its oldest record (TRIM_HORIZON) when first seen, so a restart reads again what the
engine still holds (24 h); the events' ids are deterministic and the store keeps the first, so a batch read
twice stores nothing twice. A batch that fails is read again from the same place after a pause (at least once).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from loyalty.repository.table import STREAM_VIEW

from tools.local.background import Polling

BATCH = 100  # records per GetRecords (Lambda's default batch size for a DynamoDB stream)
IDLE_SECONDS = 0.2  # the pause when every shard was read to its end


def enable(dynamodb: Any, table: str) -> bool:
    """Turn the table's stream on (NEW_AND_OLD_IMAGES) unless it is on; True when it was turned on (a table
    made before events existed, kept in .local/)."""
    described = dynamodb.describe_table(TableName=table)["Table"]
    spec = described.get("StreamSpecification") or {}
    if spec.get("StreamEnabled") and spec.get("StreamViewType") == STREAM_VIEW:
        return False
    dynamodb.update_table(TableName=table, StreamSpecification={"StreamEnabled": True, "StreamViewType": STREAM_VIEW})
    return True


def _consume(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from loyalty.services import event_store  # imported by the poller's thread, not at the server's start

    return event_store.consume(records)


class StreamPoller(Polling):
    """Reads every shard of the table's latest stream, batch by batch, and hands the records to `consume`."""

    name = "event stream"

    def __init__(
        self,
        dynamodb: Any,
        streams: Any,
        table: str,
        consume: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None,
    ) -> None:
        super().__init__()
        self.dynamodb, self.streams, self.table = dynamodb, streams, table
        self.consume = consume or _consume
        self.iterators: dict[str, str | None] = {}  # shard → next iterator (None: the shard is closed and read)
        self.stored = 0

    def _shards(self) -> list[str]:
        arn = self.dynamodb.describe_table(TableName=self.table)["Table"].get("LatestStreamArn")
        if not arn:
            return []
        shards: list[str] = []
        start: str | None = None
        while True:
            options = {"StreamArn": arn, **({"ExclusiveStartShardId": start} if start else {})}
            described = self.streams.describe_stream(**options)["StreamDescription"]
            shards += [shard["ShardId"] for shard in described.get("Shards", [])]
            start = described.get("LastEvaluatedShardId")
            if not start:
                break
        for shard in shards:
            if shard not in self.iterators:
                self.iterators[shard] = self.streams.get_shard_iterator(
                    StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
        return shards

    def poll(self) -> int:
        """One pass: every open shard read to its current end; how many events were stored."""
        self._shards()
        stored = 0
        for shard, iterator in list(self.iterators.items()):
            while iterator:
                answer = self.streams.get_records(ShardIterator=iterator, Limit=BATCH)
                records = answer.get("Records", [])
                if records:
                    stored += len(self.consume(records))  # raises: the same batch is read again next pass
                iterator = answer.get("NextShardIterator")
                self.iterators[shard] = iterator
                if not records:
                    break
        self.stored += stored
        return stored

    def recover(self) -> None:
        """After a failure, read each shard again from its start (an iterator may have expired; ids dedupe)."""
        self.iterators = {shard: None for shard, it in self.iterators.items() if it is None}

    def idle(self) -> None:
        self.stopping.wait(IDLE_SECONDS)


def poller_for(endpoint: str, table: str) -> StreamPoller:
    """The poller of `make serve`: the engine's stream, the loyalty client for the table and the store."""
    from botocore.session import Session
    from loyalty.repository.client import client

    streams = Session().create_client("dynamodbstreams", region_name=client.meta.region_name, endpoint_url=endpoint)
    return StreamPoller(client, streams, table)
