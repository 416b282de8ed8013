"""Idempotency records: one item per tenant and key hash, holding the first answer for 24 hours.

While an operation that writes in several transactions runs, the item is a claim instead (a
`claimToken`, no `body`), so that a concurrent duplicate knows the key is taken.
"""

from __future__ import annotations

from loyalty import clock
from loyalty.repository import keys, store


def key(tenant_id: str, key_hash: str) -> store.Key:
    return store.key(f"{keys.tenant(tenant_id)}#IDEM#{key_hash}", "IDEM")


_FREE = "attribute_not_exists(pk) OR expiresAtEpoch < :now"
_MINE = "claimToken = :token"


def is_claim(item: dict) -> bool:
    """Whether a stored item is a claim of a run in progress rather than a first answer."""
    return "claimToken" in item


def claim(record_key: store.Key, fingerprint: str, token: str, seconds: int) -> store.TxItem:
    """Take the key for a run in progress; fails while an unexpired record or claim holds it."""
    now = int(clock.now().timestamp())
    return store.put(
        {**record_key, "fingerprint": fingerprint, "claimToken": token, "expiresAtEpoch": now + seconds},
        condition=_FREE,
        values={":now": now},
    )


def release(record_key: store.Key, token: str) -> store.TxItem:
    """Give a claim back (the run failed and wrote no answer); only the run that holds it may."""
    return store.delete(record_key, condition=_MINE, values={":token": token})


def record(
    record_key: store.Key,
    fingerprint: str,
    status: int,
    body: str,
    window_seconds: int,
    claimed_with: str | None = None,
) -> store.TxItem:
    """The put of a first answer; it fails while another unexpired record or claim holds the key
    (`claimed_with`: the answer replaces this run's own claim, and only that)."""
    now = int(clock.now().timestamp())
    if claimed_with is not None:
        return store.put(
            {**record_key, "fingerprint": fingerprint, "status": status, "body": body,
             "expiresAtEpoch": now + window_seconds},
            condition=_MINE,
            values={":token": claimed_with},
        )
    return store.put(
        {
            **record_key,
            "fingerprint": fingerprint,
            "status": status,
            "body": body,
            "expiresAtEpoch": now + window_seconds,
        },
        condition=_FREE,
        values={":now": now},
    )
