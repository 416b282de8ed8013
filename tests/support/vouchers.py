"""Helpers for voucher tests over the local API: offers to issue from, vouchers, the checker."""

from __future__ import annotations

import itertools
from typing import Any

_codes = itertools.count(1)


def published_offer(client: Any, **fields: Any) -> dict[str, Any]:
    """A published money offer with a fresh offerCode and no dates (fields override); the offer."""
    body = {
        "offerCode": f"OFFER-{next(_codes)}",
        "name": "Five off",
        "rewardType": "amount",
        "offerAmount": "5.00",
        "status": "published",
        **fields,
    }
    reply = client.post("/offers", body)
    assert reply.status == 201, reply.text
    return dict(reply.data)


def offer(client: Any, **fields: Any) -> str:
    """A published, running offer (fields override); its offerId."""
    running = {"startDate": "2020-01-01T00:00:00Z", "endDate": "2099-12-31T23:59:59Z"}
    return str(published_offer(client, **(running | fields))["offerId"])


def issue(client: Any, offer_id: str, **body: Any) -> Any:
    if "memberId" not in body and "customerName" not in body:
        body["customerName"] = "Ada Lovelace"
    return client.post(f"/offers/{offer_id}/vouchers", body)


def issued(client: Any, offer_id: str, **body: Any) -> dict[str, Any]:
    reply = issue(client, offer_id, **body)
    assert reply.status == 201, reply.text
    return dict(reply.data)
