"""Helpers for boundary tests over the local API: a published offer, a redemption, exact-size bodies."""

from __future__ import annotations

import itertools
import json
from datetime import datetime
from typing import Any

from loyalty import clock

_codes = itertools.count(1)


def live_offer(client: Any, **fields: Any) -> dict[str, Any]:
    """A published money offer with a fresh offerCode (fields override)."""
    body = {
        "offerCode": f"EDGE-{next(_codes)}",
        "name": "Five off",
        "rewardType": "amount",
        "offerAmount": "5.00",
        "status": "published",
        **fields,
    }
    reply = client.post("/offers", body)
    assert reply.status == 201, reply.text
    return dict(reply.data)


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
