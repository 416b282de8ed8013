"""Idempotency records: one item per tenant and key hash, holding the first answer for 24 hours."""

from __future__ import annotations

from loyalty import clock
from loyalty.repository import keys, store


def key(tenant_id: str, key_hash: str) -> store.Key:
    return store.key(f"{keys.tenant(tenant_id)}#IDEM#{key_hash}", "IDEM")


def record(record_key: store.Key, fingerprint: str, status: int, body: str, window_seconds: int) -> store.TxItem:
    """The put of a first answer; it fails while an unexpired record holds the key."""
    now = int(clock.now().timestamp())
    return store.put(
        {
            **record_key,
            "fingerprint": fingerprint,
            "status": status,
            "body": body,
            "expiresAtEpoch": now + window_seconds,
        },
        condition="attribute_not_exists(pk) OR expiresAtEpoch < :now",
        values={":now": now},
    )
