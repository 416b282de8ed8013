"""Stream checkpoints: how far the local stream poller (`make serve`, tools/local/stream.py) has read each shard.

Deployed, Lambda's event source mapping keeps this position itself; DynamoDB Local has no such reader, so the
poller keeps it here: one item per (stream ARN, shard), the SequenceNumber of the last record of the last batch
it consumed. A restart reads on AFTER that record instead of from TRIM_HORIZON (re-reading a day of records
would fan old events out to the endpoints' settings of now). This is platform data, not tenant data: the key
starts with STREAM#, never with a tenant's T#, so the event builder makes nothing of it.

The checkpoint only moves forward (a conditional put on the zero-padded position), so two pollers of one
table (a test's and `make serve`'s) can't set each other back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from loyalty.repository import store

PREFIX = "STREAM#"
SORT = "CHECKPOINT"
_DIGITS = 40  # a stream SequenceNumber has at most 40 digits; padded, they order as text


def key(stream_arn: str, shard_id: str) -> store.Key:
    return store.key(f"{PREFIX}{stream_arn}#{shard_id}", SORT)


def is_checkpoint(keys: Mapping[str, Any]) -> bool:
    """Whether a stream record's Keys (DynamoDB JSON) are a checkpoint's: a batch of only those is no progress
    worth recording (recording it would write a checkpoint, whose record would be the next batch, and so on)."""
    partition, sort = keys.get("pk", {}).get("S", ""), keys.get("sk", {}).get("S", "")
    return sort == SORT and str(partition).startswith(PREFIX)


def last(stream_arn: str, shard_id: str) -> str | None:
    """The SequenceNumber of the last record consumed from the shard, None when none was."""
    item = store.get(key(stream_arn, shard_id))
    return str(item["sequenceNumber"]) if item else None


def record(stream_arn: str, shard_id: str, sequence_number: str, at: str) -> bool:
    """The shard was consumed up to `sequence_number` (inclusive); False when a checkpoint as far or further is
    kept already (it is left alone)."""
    position = sequence_number.zfill(_DIGITS)
    return store.applied(
        store.put(
            {
                **key(stream_arn, shard_id),
                "sequenceNumber": sequence_number,
                "position": position,
                "updatedAt": at,
            },
            condition=f"{store.ABSENT} OR #position < :position",
            names={"#position": "position"},
            values={":position": position},
        )
    )
