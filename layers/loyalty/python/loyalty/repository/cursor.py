"""Opaque nextToken cursors, signed and bound to the tenant and the query they continue."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
import re
import zlib
from typing import Any

from loyalty import jsontext
from loyalty.errors import Unavailable, ValidationFailed

LOCAL_SECRET = "local-development-cursor-secret"


# Secrets Manager is asked at most twice, each call cut off after 1 s to connect and 2 s to answer: a page
# request that cannot get the secret answers 503 (retry) well before the function's own timeout (25 s).
SECRET_CONNECT_SECONDS, SECRET_READ_SECONDS, SECRET_ATTEMPTS = 1, 2, 2


@functools.cache
def _secret() -> bytes:
    """The signing secret, read once per container: from Secrets Manager when deployed
    (CURSOR_SECRET_ARN, given only to the functions that page), else CURSOR_SECRET or the local default.

    A failed read is not cached: the request answers 503 with Retry-After and the next one asks again.
    """
    arn = os.environ.get("CURSOR_SECRET_ARN")
    if arn:
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError

        from loyalty.repository.client import aws_client  # paging functions create it on their first cursor only

        config = Config(
            connect_timeout=SECRET_CONNECT_SECONDS,
            read_timeout=SECRET_READ_SECONDS,
            retries={"mode": "standard", "total_max_attempts": SECRET_ATTEMPTS},
        )
        try:
            secret: str = aws_client("secretsmanager", config).get_secret_value(SecretId=arn)["SecretString"]
            return secret.encode()
        except (BotoCoreError, ClientError) as exc:
            from loyalty.observability import logger

            logger.warning("cursor secret not readable", extra={"error": type(exc).__name__})
            raise Unavailable() from None
    return os.environ.get("CURSOR_SECRET", LOCAL_SECRET).encode()


# What `encode` produces: unpadded base64url, a dot, a base64url MAC. Anything else is refused before decoding.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,2000}\.[A-Za-z0-9_-]{24}")


def _bad() -> ValidationFailed:
    return ValidationFailed(
        "The nextToken is not valid for this request.",
        details=[{"field": "nextToken", "message": "is not a token this query returned"}],
    )


def _mac(tenant_id: str, query_id: str, payload: bytes) -> str:
    digest = hmac.new(_secret(), tenant_id.encode() + b"\0" + query_id.encode() + b"\0" + payload, hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:18]).decode()


def query_id(name: str, query: dict[str, Any]) -> str:
    """What a cursor is bound to: the list and its filters (not the page size or the token itself)."""
    filters = sorted((k, str(v)) for k, v in query.items() if k not in ("nextToken", "limit"))
    return f"{name}|{filters!r}"


def encode(tenant_id: str, query_id: str, last_key: dict[str, Any] | None) -> str | None:
    """A token for the page after `last_key`, or None when there is no next page."""
    if not last_key:
        return None
    # Compressed: a write-sharded list's position (32 sort keys sharing their time prefixes) shrinks
    # to a third, so even a page cut in every shard keeps the token far below NEXT_TOKEN's 2,048.
    payload = zlib.compress(jsontext.canonical(last_key).encode(), 9)
    body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{body}.{_mac(tenant_id, query_id, payload)}"


def decode(tenant_id: str, query_id: str, token: str | None) -> dict[str, Any] | None:
    """The start key a token carries; a tampered token, or one of another tenant or query, is a 400."""
    if token is None:
        return None
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise _bad()
    body, mac = token.split(".")
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (ValueError, TypeError) as exc:
        raise _bad() from exc
    if not hmac.compare_digest(mac, _mac(tenant_id, query_id, payload)):
        raise _bad()
    try:
        start = json.loads(zlib.decompress(payload))  # only our own (signed) bytes get here
    except (ValueError, zlib.error) as exc:  # signed by us, so only a changed secret gets here
        raise _bad() from exc
    if not isinstance(start, dict) or not all(isinstance(v, str) for v in start.values()):
        raise _bad()
    return start
