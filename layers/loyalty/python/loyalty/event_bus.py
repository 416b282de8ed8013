"""The stack's EventBridge bus (EVENT_BUS_NAME): events put on it for AWS-native consumers' rules (§13).

What functions/build_events does with a batch's events, for a job that gives events itself (the expiring-soon
notices): `Publisher` gathers events from the job's threads and puts them 10 at a time (PutEvents' limit). Without
EVENT_BUS_NAME (locally, in tests) it puts nothing.
"""

from __future__ import annotations

import json
import os
import threading
from types import TracebackType
from typing import Any

from loyalty.repository.client import aws_client

SOURCE = "loyalty.api"  # as functions/build_events puts them
ENTRIES = 10  # PutEvents takes at most 10 entries


class Publisher:
    def __init__(self, bus_name: str | None = None, client: Any = None) -> None:
        self.bus_name = bus_name if bus_name is not None else os.environ.get("EVENT_BUS_NAME")
        self._client = client
        self._waiting: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.put = 0

    def add(self, event: dict[str, Any]) -> None:
        if not self.bus_name:
            return
        with self._lock:
            self._waiting.append(event)
            full = len(self._waiting) >= ENTRIES
        if full:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            events, self._waiting = self._waiting, []
        for start in range(0, len(events), ENTRIES):
            self._put(events[start : start + ENTRIES])

    def _put(self, events: list[dict[str, Any]]) -> None:
        if self._client is None:
            self._client = aws_client("events")
        entries = [
            {"EventBusName": self.bus_name, "Source": SOURCE, "DetailType": e["type"], "Detail": json.dumps(e)}
            for e in events
        ]
        answer = self._client.put_events(Entries=entries)
        if answer.get("FailedEntryCount"):
            raise RuntimeError(f"the event bus refused {answer['FailedEntryCount']} of {len(entries)} events")
        self.put += len(entries)

    def __enter__(self) -> Publisher:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.flush()
