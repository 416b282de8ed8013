"""Helpers for boundary tests over the local API: calendar crossings, a redemption, exact-size bodies."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from loyalty import clock

INTERVALS = ("day", "week", "month", "year", "lifetime")
# (the last day of a window, the cap windows that turn at the midnight after it)
CROSSINGS = [
    (date(2030, 3, 12), {"day"}),  # Tuesday -> Wednesday
    (date(2030, 3, 17), {"day", "week"}),  # Sunday -> Monday: ISO weeks start on Monday
    (date(2030, 1, 31), {"day", "month"}),  # Thursday 31 Jan -> 1 Feb
    (date(2030, 12, 31), {"day", "month", "year"}),  # 31 Dec -> 1 Jan, inside ISO week 2031-W01
]
CROSSING_IDS = ["day", "week", "month", "year"]


def redeem_offer(tenant: Any, offer: dict[str, Any], **fields: Any) -> Any:
    body = {"teamId": tenant.tenant_id, "offerCode": offer["offerCode"], **fields}
    return tenant.integration.post("/offer-redemptions", body)


def at(text: str) -> datetime:
    return clock.parse_iso(text)


def padded(body: dict[str, Any], size: int) -> bytes:
    """The body as UTF-8 JSON followed by spaces (insignificant whitespace) up to exactly `size` bytes."""
    raw = json.dumps(body, ensure_ascii=False).encode()
    assert len(raw) <= size
    return raw + b" " * (size - len(raw))
