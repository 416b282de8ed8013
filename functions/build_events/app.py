"""The table's change stream (DynamoDB Streams, NEW_AND_OLD_IMAGES) → §13 events: stored in the table, put on
the stack's event bus (EVENT_BUS_NAME). A batch that fails raises: the event source mapping halves it and
retries, then sends what still fails to its dead-letter queue; a batch processed again stores nothing twice."""

import json
import os
from typing import Any

from loyalty.observability import logger
from loyalty.repository.client import aws_client
from loyalty.services import event_store

SOURCE = "loyalty.api"
_ENTRIES = 10  # PutEvents takes at most 10 entries
_bus: list[Any] = []  # the EventBridge client, made on the first batch with events


def _publish(events: list[dict[str, Any]]) -> None:
    bus = os.environ.get("EVENT_BUS_NAME")
    if not bus or not events:
        return
    if not _bus:
        _bus.append(aws_client("events"))
    for start in range(0, len(events), _ENTRIES):
        entries = [
            {"EventBusName": bus, "Source": SOURCE, "DetailType": event["type"], "Detail": json.dumps(event)}
            for event in events[start : start + _ENTRIES]
        ]
        answer = _bus[0].put_events(Entries=entries)
        if answer.get("FailedEntryCount"):
            raise RuntimeError(f"the event bus refused {answer['FailedEntryCount']} of {len(entries)} events")


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    records = event.get("Records", [])
    stored, every = event_store.store_batch(records)
    _publish(every)
    result = {"records": len(records), "events": len(every), "stored": len(stored)}
    logger.info("build_events done", extra=result)
    return result
