"""Standard Webhooks signing (§13): `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.

The key is the secret's base64-decoded bytes (`whsec_` + standard base64 of 32 random bytes). Each attempt is
signed afresh with its own `webhook-timestamp`: receivers (the reference library among them) reject a timestamp
more than 5 minutes from their clock, so a signature made once would fail every later retry. While two secrets
are live (24 h after rotate-secret) both sign, their signatures space-separated.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable

PREFIX = "whsec_"
VERSION = "v1"


def key_of(secret: str) -> bytes:
    """The HMAC key of a secret: its base64 part decoded."""
    return base64.b64decode(secret.removeprefix(PREFIX))


def sign(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    """`v1,<base64 signature>` of one message at one timestamp."""
    digest = hmac.new(key_of(secret), f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return f"{VERSION},{base64.b64encode(digest).decode()}"


def headers(secrets: Iterable[str], msg_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The headers of one attempt: the id, this attempt's time, every live secret's signature."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(secret, msg_id, timestamp, body) for secret in secrets),
        "Content-Type": "application/json",
    }
