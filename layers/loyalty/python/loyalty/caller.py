"""Who calls a service, and the replay a service raises: plain types, light to import (no boto3).

`loyalty.operation` re-exports both; the HTTP edge imports them from here so that a handler
that touches no table (GET /status) does not load the DynamoDB client at cold start.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    """Who asks: the tenant, the Idempotency-Key if any, and the request's fingerprint (from the edge).

    `principal` names the credential (the API key's keyId, or an OAuth client's id): what a reward grant
    records as `grantedBy`.
    """

    tenant_id: str
    idempotency_key: str | None = None
    fingerprint: str = ""
    admin: bool = False
    principal: str = ""


class Replayed(Exception):
    """The request was already served under its Idempotency-Key; `body` is the first answer's exact text."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
