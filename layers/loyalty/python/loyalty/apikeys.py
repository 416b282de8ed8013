"""API keys: lk_<tenantId>_<secret> with 192 random bits; only a key's SHA-256 is ever stored."""

from __future__ import annotations

import hashlib
import re
import secrets

TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
# The whole Authorization header of a well-formed key or OAuth access token (services/oauth_tokens.py: base64url,
# at most 512 characters, so it fits this pattern). API Gateway checks it too (the authorizer's
# identity validation expression), so a malformed header is refused without invoking the authorizer. The scheme's
# name is case-insensitive (RFC 9110 §11.1: `bearer` is `Bearer`), spelled as classes the gateway's regex takes.
BEARER_PATTERN = r"^[Bb][Ee][Aa][Rr][Ee][Rr] [A-Za-z0-9_-]{1,512}$"
_BEARER = re.compile(BEARER_PATTERN)


def new_key(tenant_id: str) -> str:
    """A fresh key whose readable prefix names the tenant."""
    return f"lk_{tenant_id}_{secrets.token_urlsafe(24)}"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def is_bearer(header: str) -> bool:
    """Whether a whole Authorization header is `Bearer <value>` of the pattern (an API key or an access token)."""
    return _BEARER.fullmatch(header) is not None


def bearer_digest(header: str | None) -> str | None:
    """The SHA-256 of the key in `Authorization: Bearer <key>`; None when missing or malformed."""
    if not header or not _BEARER.fullmatch(header):
        return None
    return digest(header[len("Bearer ") :])
