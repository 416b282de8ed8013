"""Time-sortable, unguessable identifiers (ULID: 48-bit millisecond time + 80 random bits)."""

from __future__ import annotations

import os
import threading
from datetime import datetime

from loyalty import clock

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _encode(number: int, length: int) -> str:
    chars = []
    for _ in range(length):
        number, rest = divmod(number, 32)
        chars.append(_ALPHABET[rest])
    return "".join(reversed(chars))


_last = [0, 0]  # (millisecond, random part) of the last id made here
_lock = threading.Lock()


def ulid(at: datetime | None = None) -> str:
    """A new ULID; ids made in this process in the same millisecond still sort in creation order."""
    millis = int((at or clock.precise_now()).timestamp() * 1000)
    with _lock:
        if millis == _last[0] and _last[1] < 2**80 - 1:
            randomness = _last[1] + 1
        else:
            randomness = int.from_bytes(os.urandom(10), "big") >> 1  # room to count up
        _last[:] = [millis, randomness]
    return ulid_of(millis, randomness)


def ulid_of(millis: int, randomness: int) -> str:
    """The ULID of a moment (Unix milliseconds) and an 80-bit number: its time part, then the number."""
    return _encode(millis, 10) + _encode(randomness, 16)


def ulid_floor(at: datetime) -> str:
    """The smallest ULID of a moment: a sort-key bound for time-range queries."""
    return _encode(int(at.timestamp() * 1000), 10) + "0" * 16


def ulid_ceiling(at: datetime) -> str:
    """The largest ULID of a moment (inclusive upper bound)."""
    return _encode(int(at.timestamp() * 1000) + 999, 10) + "Z" * 16


def ulid_range(start: str | None, end: str | None) -> tuple[str, str]:
    """The ULIDs of the moments from `start` to `end` (ISO times, both included; None: no bound) as a key range."""
    low = ulid_floor(clock.parse_iso(start)) if start else "0"
    high = ulid_ceiling(clock.parse_iso(end)) if end else "Z" * 26
    return low, high


def random_code(length: int, alphabet: str = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ") -> str:
    """An unguessable code from an alphabet without look-alikes (no 0/O, 1/I)."""
    return "".join(alphabet[byte % len(alphabet)] for byte in os.urandom(length))


def secret_ulid(at: datetime | None = None) -> str:
    """A ULID with 80 fresh random bits (no same-millisecond increment): for ids that act as bearer secrets."""
    millis = int((at or clock.precise_now()).timestamp() * 1000)
    return _encode(millis, 10) + _encode(int.from_bytes(os.urandom(10), "big"), 16)
