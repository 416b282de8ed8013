"""The queue of webhook delivery attempts: SQS deployed, a durable queue on the table locally.

A message is a dict (`tenantId`, `webhookId`, `deliveryId`, `attempt`: the attempts made when it was sent,
`notBefore`: the Unix time it is due). Deployed (`WEBHOOK_QUEUE_URL` set) it is an SQS message with DelaySeconds
up to SQS's 900; a longer wait is handled by the consumer, which sends it again with the delay that remains.

Locally (no queue URL: `make serve`, the tests) a message is an item of the platform partition QUEUE#WEBHOOKS
whose sort key is `<due, Unix ms, 13 digits>#<messageId>`: `receive` reads the due ones (a strongly consistent
Query) and claims each by moving it to `now + visibility` in one transaction (delete on condition it is still
there, put at the new time), so two workers never hold one message at once; `ack` removes it once handled.
A worker killed mid-attempt leaves its message, which is due again when its visibility lapses (at least once).
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from typing import Any

from loyalty.repository import store

SQS_MOST_DELAY = 900
SQS_BATCH = 10  # SendMessageBatch's most entries
LOCAL_PARTITION = "QUEUE#WEBHOOKS"
_arrived = threading.Event()  # set by a local send: the worker in this process looks at once
_sqs: list[Any] = []


def queue_url() -> str | None:
    return os.environ.get("WEBHOOK_QUEUE_URL") or None


def send(message: dict[str, Any], delay: float = 0.0) -> None:
    """Put a message on the queue, to be received `delay` seconds from now (its `notBefore` is set here)."""
    due = time.time() + max(delay, 0.0)
    body = {**message, "notBefore": round(due, 3)}
    url = queue_url()
    if url:
        if not _sqs:
            from loyalty.repository.client import aws_client

            _sqs.append(aws_client("sqs"))
        _sqs[0].send_message(
            QueueUrl=url, MessageBody=json.dumps(body), DelaySeconds=int(min(max(delay, 0), SQS_MOST_DELAY))
        )
        return
    store.transact([store.put({**_local_key(due, uuid.uuid4().hex), "body": json.dumps(body)})])
    _arrived.set()


def send_many(messages: list[dict[str, Any]]) -> None:
    """Put messages due now on the queue, batched (SQS: 10 per SendMessageBatch; locally 100 per transaction)."""
    if not messages:
        return
    due = time.time()
    bodies = [json.dumps({**message, "notBefore": round(due, 3)}) for message in messages]
    url = queue_url()
    if url:
        if not _sqs:
            from loyalty.repository.client import aws_client

            _sqs.append(aws_client("sqs"))
        for start in range(0, len(bodies), SQS_BATCH):
            entries = [{"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies[start : start + SQS_BATCH])]
            answer = _sqs[0].send_message_batch(QueueUrl=url, Entries=entries)
            if answer.get("Failed"):
                raise RuntimeError(f"SQS refused {len(answer['Failed'])} of {len(entries)} delivery messages")
        return
    for start in range(0, len(bodies), store.TRANSACT_LIMIT):
        chunk = bodies[start : start + store.TRANSACT_LIMIT]
        store.transact([store.put({**_local_key(due, uuid.uuid4().hex), "body": body}) for body in chunk])
    _arrived.set()


def _local_key(due: float, message_id: str) -> store.Key[Any]:
    return store.key(LOCAL_PARTITION, f"{int(due * 1000):013d}#{message_id}")


def receive(most: int, visibility: float) -> list[dict[str, Any]]:
    """Local: claim up to `most` due messages for `visibility` seconds; each as {messageId, receipt, body}."""
    now = time.time()
    items, _ = store.Collection(LOCAL_PARTITION).query(
        sort="#s <= :due", values={":due": f"{int(now * 1000):013d}~"}, limit=most
    )
    claimed = []
    for item in items:
        message_id = item["sk"].partition("#")[2]
        moved = {**_local_key(now + visibility, message_id), "body": item["body"]}
        try:
            store.transact(
                [store.delete(store.key(LOCAL_PARTITION, item["sk"]), condition=store.PRESENT), store.put(moved)]
            )
        except store.ConditionFailed:
            continue  # another worker claimed it
        claimed.append({"messageId": message_id, "receipt": moved["sk"], "body": item["body"]})
    return claimed


def ack(receipt: str) -> None:
    """Local: a handled message leaves the queue (gone already: nothing to do)."""
    store.transact([store.delete(store.key(LOCAL_PARTITION, receipt))])


def pending() -> int:
    """Local: how many messages the queue holds (due or not), for tests and the bench."""
    return len(store.Collection(LOCAL_PARTITION).all())


def wait(seconds: float) -> None:
    """Local: sleep until a message is sent in this process or `seconds` pass."""
    _arrived.wait(seconds)
    _arrived.clear()
