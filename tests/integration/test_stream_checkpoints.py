"""The stream poller of `make serve` checkpoints each shard as Lambda's event source mapping does
(tools/local/stream.py, repository/stream_checkpoints.py): a poller started again reads on after the last record
consumed, not from TRIM_HORIZON; a batch whose consumer failed, or that was consumed but not checkpointed (a
kill in between), is read again; a checkpoint the engine refuses falls back to TRIM_HORIZON."""

import pytest
from botocore.session import Session
from loyalty.repository import store, stream_checkpoints
from loyalty.repository.client import client, table_name
from loyalty.services import event_store

from tests.support.local import ok
from tools.local.stream import StreamPoller


class Recording:
    """A consumer that keeps the keys of the records it was given, and can be told to fail once."""

    def __init__(self, fail_on=None):
        self.keys = []
        self.fail_on = fail_on  # a partition: the first batch with a record of it fails

    def __call__(self, records):
        partitions = [r["dynamodb"]["Keys"]["pk"]["S"] for r in records]
        if self.fail_on and any(p.startswith(self.fail_on) for p in partitions):
            self.fail_on = None
            raise RuntimeError("the consumer failed")
        self.keys += partitions
        return event_store.consume(records)

    def of(self, tenant):
        return [p for p in self.keys if p.startswith(f"T#{tenant.tenant_id}#")]


@pytest.fixture
def poller(local_api):
    streams = Session().create_client(
        "dynamodbstreams", region_name=client.meta.region_name, endpoint_url=local_api.engine.endpoint
    )

    def make(consume=None):
        return StreamPoller(client, streams, table_name(), consume=consume or Recording())

    make().poll()  # whatever earlier tests left in the stream is consumed and checkpointed
    return make


def member(tenant, email):
    return ok(201, tenant.admin.post("/members", {"email": email})).data["memberId"]


def test_a_poller_started_again_reads_on_after_the_last_record_consumed(tenant, poller):
    first = poller()
    ann = member(tenant, "ann@example.com")
    first.poll()
    assert any(ann in p for p in first.consume.of(tenant))
    assert any(stream_checkpoints.last(first.arn, shard) for shard in first.iterators)

    ben = member(tenant, "ben@example.com")
    again = poller()  # a restart
    again.poll()
    read = again.consume.of(tenant)
    assert any(ben in p for p in read)
    assert not any(ann in p for p in read)  # the first member's records were consumed before the restart


def test_a_batch_that_failed_is_read_again_from_the_checkpoint(tenant, poller):
    failing = poller(Recording(fail_on=f"T#{tenant.tenant_id}#"))
    cat = member(tenant, "cat@example.com")
    with pytest.raises(RuntimeError):
        failing.poll()
    assert failing.consume.of(tenant) == []
    failing.recover()  # what the thread does after a failure
    failing.poll()
    assert any(cat in p for p in failing.consume.of(tenant))
    assert [e["data"]["memberId"] for e in tenant.read.get("/events").data] == [cat]


def test_a_batch_consumed_but_not_checkpointed_is_read_again_after_a_restart(tenant, poller, monkeypatch):
    killed = poller()
    dan = member(tenant, "dan@example.com")
    monkeypatch.setattr(killed, "_checkpoint", lambda shard, records: None)  # killed between consume and checkpoint
    killed.poll()
    assert any(dan in p for p in killed.consume.of(tenant))

    again = poller()
    again.poll()
    assert any(dan in p for p in again.consume.of(tenant))  # at least once
    assert [e["data"]["memberId"] for e in tenant.read.get("/events").data] == [dan]  # stored once (same id)


def test_a_checkpoint_the_engine_refuses_falls_back_to_trim_horizon(tenant, poller):
    reader = poller()
    eve = member(tenant, "eve@example.com")
    reader.poll()
    for shard in [s for s, it in reader.iterators.items() if it]:  # checkpoints the engine can't start after
        refused = "0" * 21  # DynamoDB Local: ValidationException, "Invalid SequenceNumber for the shard"
        store.put_plain({**stream_checkpoints.key(reader.arn, shard), "sequenceNumber": refused, "position": "0"})

    again = poller()
    again.poll()
    assert any(eve in p for p in again.consume.of(tenant))  # from the oldest record, eve's included
    assert all(stream_checkpoints.last(again.arn, shard) != "0" * 21 for shard, it in again.iterators.items() if it)
