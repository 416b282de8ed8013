"""OAuth access tokens (§12): one self-contained, HMAC-SHA256-signed base64url string, no dots, no padding.

A token is base64url(PREFIX | keyId u16 | issuedAt u32 | expiresAt u32 | scopes u8 | len u8 | tenantId
| len u8 | clientId | HMAC-SHA256(key[keyId], everything before)). PREFIX is three bytes that encode to
`oat1` ("OAuth token, version 1"), so a token is told from an API key (`lk_...`) by its first four characters,
and the three-byte prefix keeps the base64 groups aligned: the prefix always shows as `oat1`. At most
3 + 2 + 4 + 4 + 1 + 1 + 40 + 1 + 64 + 32 = 152 bytes, 203 characters: far below the gateway's 512.

Pure standard library and no table access (the authorizer imports it; its cold start stays small).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
from collections.abc import Callable
from dataclasses import dataclass

from loyalty.routes import SCOPES

PREFIX = base64.urlsafe_b64decode("oat1")  # b"\xa1\xabu": a token starts with the text "oat1"
TEXT_PREFIX = "oat1"
LIFETIME_SECONDS = 3600
MAX_LENGTH = 512  # the gateway's identity validation pattern passes at most 512 characters to the authorizer
MAX_CLIENT_ID = 64
MAX_TENANT_ID = 40
_HEAD = struct.Struct(">HIIB")  # keyId, issuedAt, expiresAt, scopes bitmask
_MAC_BYTES = 32
_BITS = {scope: 1 << index for index, scope in enumerate(SCOPES)}


@dataclass(frozen=True)
class Claims:
    """What a token says: whose it is (tenant, client), what it may do, when it was made and ends, and its key."""

    tenant_id: str
    client_id: str
    scopes: frozenset[str]
    issued_at: int
    expires_at: int
    key_id: int


def is_token(value: str) -> bool:
    """Whether a Bearer value is meant as a token (else it is an API key)."""
    return value.startswith(TEXT_PREFIX)


def _mac(key: bytes, signed: bytes) -> bytes:
    return hmac.new(key, signed, hashlib.sha256).digest()


def _pack(claims: Claims) -> bytes:
    tenant, client = claims.tenant_id.encode(), claims.client_id.encode()
    if not 0 < len(tenant) <= MAX_TENANT_ID or not 0 < len(client) <= MAX_CLIENT_ID:
        raise ValueError("tenant or client id too long for a token")
    unknown = claims.scopes - set(_BITS)
    if unknown or not claims.scopes:
        raise ValueError(f"not scopes: {sorted(unknown)}")
    mask = sum(_BITS[scope] for scope in claims.scopes)
    head = _HEAD.pack(claims.key_id, claims.issued_at, claims.expires_at, mask)
    return PREFIX + head + bytes([len(tenant)]) + tenant + bytes([len(client)]) + client


def sign(claims: Claims, key: bytes) -> str:
    """The token of `claims`, signed with `key` (the signing key whose id is `claims.key_id`)."""
    signed = _pack(claims)
    token = base64.urlsafe_b64encode(signed + _mac(key, signed)).rstrip(b"=").decode("ascii")
    assert len(token) <= MAX_LENGTH and token.startswith(TEXT_PREFIX)
    return token


def read(token: str) -> tuple[Claims, bytes, bytes] | None:
    """The claims, the signed bytes and the MAC of a well-formed token, NOT verified; None if it is not one."""
    if not is_token(token) or len(token) > MAX_LENGTH or "=" in token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != token:  # one spelling per token
        return None
    at = len(PREFIX) + _HEAD.size
    if len(raw) < at + 2 + _MAC_BYTES or raw[: len(PREFIX)] != PREFIX:
        return None
    key_id, issued_at, expires_at, mask = _HEAD.unpack(raw[len(PREFIX) : at])
    try:
        tenant_length = raw[at]
        tenant = raw[at + 1 : at + 1 + tenant_length].decode("ascii")
        at += 1 + tenant_length
        client_length = raw[at]
        client = raw[at + 1 : at + 1 + client_length].decode("ascii")
        at += 1 + client_length
    except (IndexError, UnicodeDecodeError):
        return None
    if len(tenant) != tenant_length or len(client) != client_length or len(raw) != at + _MAC_BYTES:
        return None
    if not tenant or not client or mask == 0 or mask >> len(SCOPES):
        return None
    scopes = frozenset(scope for scope, bit in _BITS.items() if mask & bit)
    return Claims(tenant, client, scopes, issued_at, expires_at, key_id), raw[:at], raw[at:]


def verify(token: str, key_of: Callable[[int], bytes | None], now: int) -> Claims | None:
    """The claims of a token signed by a known key and not expired at `now` (Unix seconds); None otherwise."""
    found = read(token)
    if found is None:
        return None
    claims, signed, mac = found
    key = key_of(claims.key_id)
    if key is None or not hmac.compare_digest(_mac(key, signed), mac):
        return None
    if not claims.issued_at <= now + 60 or now >= claims.expires_at:  # a minute of clock skew between containers
        return None
    return claims
