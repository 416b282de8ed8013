"""`loyalty events tail --tenant T`: the tenant's events printed as they are stored (one JSON line each).

It reads the tenant's event list (repository/events.of_program) oldest first from a little before the last
event it printed, and prints each id once: an event's id carries the time of its change, and a change may
reach the store a moment after a later one (another shard of the stream), so it looks back LOOK_BACK.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

LOOK_BACK = timedelta(seconds=60)
INTERVAL_SECONDS = 0.5


def _read(tenant_id: str, since: str) -> list[dict[str, Any]]:
    from loyalty import ids
    from loyalty.repository import events as events_db

    found = events_db.of_program(tenant_id).all(between=ids.ulid_range(since, None))
    return [events_db.event_of(item) for item in found]


def tail(tenant_id: str, *, follow: bool = True, since_seconds: int = 300, out: Any = None) -> None:
    from loyalty import clock

    printed: set[str] = set()
    since = clock.now() - timedelta(seconds=since_seconds)
    try:
        while True:
            found = sorted(_read(tenant_id, clock.iso(since)), key=lambda event: event["id"])
            for event in found:
                if event["id"] not in printed:
                    printed.add(event["id"])
                    print(json.dumps(event, separators=(",", ":")), file=out, flush=True)
            if found:
                since = max(since, clock.parse_iso(found[-1]["timestamp"]) - LOOK_BACK)
            if not follow:
                return
            time.sleep(INTERVAL_SECONDS)
    except KeyboardInterrupt:
        return
