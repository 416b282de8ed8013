"""JSON as text: the compact rendering every answer uses, and the canonical hash of a JSON value."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def has_surrogates(text: str) -> bool:
    """Whether a string holds a lone UTF-16 surrogate (valid in JSON escapes, never in UTF-8 text)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def render(payload: Any) -> str:
    """Compact JSON, keys in the order given: the bytes of every answer (and of a stored replay).

    Escaped to ASCII in the one case where the text could not be sent as UTF-8 (a lone surrogate),
    so that an answer always reaches the client.
    """
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(payload, separators=(",", ":"))
    return text


def envelope(data: Any) -> str:
    """A single resource in the contract's envelope: {"data": …}."""
    return render({"data": data})


def canonical(value: Any) -> str:
    """Sorted-keys compact JSON: equal values give equal text, whatever their key order."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def digest(value: Any, prefix: str = "") -> str:
    """SHA-256 (hex) of `prefix` followed by the canonical JSON of `value`."""
    return hashlib.sha256((prefix + canonical(value)).encode()).hexdigest()
