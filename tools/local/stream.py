"""The local table's change stream read as Lambda's event source mapping reads it deployed: DynamoDB Local
supports Streams (DescribeStream, GetShardIterator, GetRecords), so `make serve` runs this poller beside the
API and feeds each batch to the same consumer the deployed function runs (services/event_store.consume).

Like the event source mapping, it checkpoints each shard: after a batch is consumed, the SequenceNumber of its
last record is kept in the table (repository/stream_checkpoints.py), and a start (or a recovery) reads each
shard AFTER its checkpoint, from its oldest record (TRIM_HORIZON) only when it has none or the engine refuses it
(the records were trimmed, the stream made again). A restart therefore does not read the last 24 h again: the
fan-out matches an event against the endpoints' settings of now, so an event made while an endpoint was paused
would reach it after a restart. A batch that fails is read again from its checkpoint after a pause, as is one
consumed by a poller killed before it checkpointed (at least once: the events' ids are deterministic and the
store keeps the first, so a batch read twice stores nothing twice).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError
from loyalty.repository.table import STREAM_VIEW

from tools.local.background import Polling

BATCH = 100  # records per GetRecords (Lambda's default batch size for a DynamoDB stream)
IDLE_SECONDS = 0.2  # the pause when every shard was read to its end
# What GetShardIterator answers for a checkpoint it can't start after (DynamoDB Local: ValidationException)
_REFUSED = {"TrimmedDataAccessException", "ValidationException", "ResourceNotFoundException"}


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
        self.arn: str | None = None  # the stream the iterators are of
        self.stored = 0

    def _iterator(self, arn: str, shard: str) -> str:
        """Where a shard is read from: after its checkpoint, else (none, or the engine refuses it) its oldest."""
        from loyalty.repository import stream_checkpoints

        after = stream_checkpoints.last(arn, shard)
        if after is not None:
            try:
                return str(
                    self.streams.get_shard_iterator(
                        StreamArn=arn, ShardId=shard, ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=after
                    )["ShardIterator"]
                )
            except ClientError as refused:  # trimmed past it, or not a record of this shard: from the oldest
                if refused.response.get("Error", {}).get("Code") not in _REFUSED:
                    raise  # the engine failing (InternalFailure, …): recover() tries again, never skips to the oldest
        return str(
            self.streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
                "ShardIterator"
            ]
        )

    def _checkpoint(self, shard: str, records: list[dict[str, Any]]) -> None:
        """The batch is consumed: the shard is read up to its last record (unless it held only checkpoints)."""
        from loyalty import clock
        from loyalty.repository import stream_checkpoints

        if self.arn is None or all(stream_checkpoints.is_checkpoint(r["dynamodb"]["Keys"]) for r in records):
            return
        stream_checkpoints.record(self.arn, shard, records[-1]["dynamodb"]["SequenceNumber"], clock.iso(clock.now()))

    def _shards(self) -> list[str]:
        arn = self.dynamodb.describe_table(TableName=self.table)["Table"].get("LatestStreamArn")
        if not arn:
            return []
        if arn != self.arn:  # the first look, or the stream was made again: its shards are new
            self.arn, self.iterators = arn, {}
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
                self.iterators[shard] = self._iterator(arn, shard)
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
                    stored += len(self.consume(records))  # raises: read again from the checkpoint after recover()
                    self._checkpoint(shard, records)  # a kill before this: the batch is read again (at least once)
                iterator = answer.get("NextShardIterator")
                self.iterators[shard] = iterator
                if not records:
                    break
        self.stored += stored
        return stored

    def recover(self) -> None:
        """After a failure, read each open shard again from its checkpoint (an iterator may have expired; the
        failed batch, never checkpointed, is read again; ids dedupe)."""
        self.iterators = {shard: None for shard, it in self.iterators.items() if it is None}

    def idle(self) -> None:
        self.stopping.wait(IDLE_SECONDS)


def poller_for(endpoint: str, table: str) -> StreamPoller:
    """The poller of `make serve`: the engine's stream, the loyalty client for the table and the store."""
    from botocore.session import Session
    from loyalty.repository.client import client

    streams = Session().create_client("dynamodbstreams", region_name=client.meta.region_name, endpoint_url=endpoint)
    return StreamPoller(client, streams, table)
