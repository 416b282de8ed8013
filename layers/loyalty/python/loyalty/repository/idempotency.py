"""Idempotency records: one item per tenant and key hash, holding the first answer for 24 hours.

While an operation that writes in several transactions runs, the item is a claim instead (a
`claimToken`, no `body`), so that a concurrent duplicate knows the key is taken.
"""

from __future__ import annotations

import hashlib
from typing import Any

from loyalty import clock
from loyalty.repository import keys, store
from loyalty.repository.table import TTL_ATTRIBUTE

_FREE = f"{store.ABSENT} OR #ttl < :now"  # no record, or one past its window
_MINE = "#claim = :token"


def key(tenant_id: str, idempotency_key: str) -> store.Key:
    """The record of a client's Idempotency-Key (stored as its SHA-256: keys are the client's text)."""
    key_hash = hashlib.sha256(idempotency_key.encode()).hexdigest()
    return store.key(f"{keys.tenant(tenant_id)}#IDEM#{key_hash}", "IDEM")


def is_claim(record: dict[str, Any]) -> bool:
    """Whether a stored item is the claim of a run in progress rather than a first answer."""
    return "claimToken" in record


def claim(record_key: store.Key, fingerprint: str, token: str, seconds: int) -> store.TxItem:
    """Take the key for a run in progress; fails while a live record or claim holds it."""
    now = int(clock.now().timestamp())
    return store.put(
        {**record_key, "fingerprint": fingerprint, "claimToken": token, TTL_ATTRIBUTE: now + seconds},
        condition=_FREE,
        names={"#ttl": TTL_ATTRIBUTE},
        values={":now": now},
    )


def release(record_key: store.Key, token: str) -> store.TxItem:
    """Give a claim back (the run failed and wrote no answer); only the run that holds it may."""
    return store.delete(record_key, condition=_MINE, names={"#claim": "claimToken"}, values={":token": token})


def record(
    record_key: store.Key,
    fingerprint: str,
    status: int,
    body: str,
    window_seconds: int,
    claimed_with: str | None = None,
) -> store.TxItem:
    """The put of a first answer; it fails while another live record or claim holds the key
    (`claimed_with`: the answer replaces this run's own claim, and only that)."""
    now = int(clock.now().timestamp())
    answer = {
        **record_key,
        "fingerprint": fingerprint,
        "status": status,
        "body": body,
        TTL_ATTRIBUTE: now + window_seconds,
    }
    if claimed_with is not None:
        return store.put(answer, condition=_MINE, names={"#claim": "claimToken"}, values={":token": claimed_with})
    return store.put(answer, condition=_FREE, names={"#ttl": TTL_ATTRIBUTE}, values={":now": now})


def is_live(record: dict[str, Any] | None, now_epoch: int) -> bool:
    """A record that still answers for its key (DynamoDB's TTL deletes expired ones only eventually)."""
    return record is not None and record[TTL_ATTRIBUTE] >= now_epoch
