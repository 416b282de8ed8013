"""Idempotency records: one item per tenant and key hash, holding the first answer for 24 hours."""

from __future__ import annotations

import hashlib
from typing import Any

from loyalty import clock
from loyalty.repository import keys, store
from loyalty.repository.table import TTL_ATTRIBUTE


def key(tenant_id: str, idempotency_key: str) -> store.Key:
    """The record of a client's Idempotency-Key (stored as its SHA-256: keys are the client's text)."""
    key_hash = hashlib.sha256(idempotency_key.encode()).hexdigest()
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
            TTL_ATTRIBUTE: now + window_seconds,
        },
        condition=f"{store.ABSENT} OR #ttl < :now",
        names={"#ttl": TTL_ATTRIBUTE},
        values={":now": now},
    )


def is_live(record: dict[str, Any] | None, now_epoch: int) -> bool:
    """A record that still answers for its key (DynamoDB's TTL deletes expired ones only eventually)."""
    return record is not None and record[TTL_ATTRIBUTE] >= now_epoch
