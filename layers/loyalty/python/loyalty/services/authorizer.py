"""The Lambda authorizer's rules: resolve an API key or an OAuth access token (§12) to its tenant, scopes and
principal, and build the gateway policy. Both answer the same shape, cached by the gateway the same way."""

from __future__ import annotations

import os
from typing import Any

from loyalty import apikeys, clock
from loyalty.errors import Unauthorized
from loyalty.repository import clients, keys, store
from loyalty.routes import PROTECTED
from loyalty.services import oauth, oauth_tokens


def allowed_resources(method_arn: str, scopes: frozenset[str]) -> list[str]:
    """Every route ARN the scopes may call, so one cached policy (60 s) serves all of them."""
    # arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path...}
    prefix = "/".join(method_arn.split("/")[:2])
    return [f"{prefix}/{route.method}{route.arn_path}" for route in PROTECTED if route.scopes & scopes]


def _key(authorization: str) -> tuple[str, str, frozenset[str]]:
    """An API key's tenant, key id and scopes; Unauthorized for an unknown or revoked key."""
    record = store.get(keys.key_index(apikeys.digest(authorization[len("Bearer ") :])))
    if record is None or record.get("status") != "active":
        raise Unauthorized()
    return record["tenantId"], record["keyId"], frozenset(record["scopes"])


def _token(token: str) -> tuple[str, str, frozenset[str]]:
    """A token's tenant, client id and scopes: signed by a known key, not expired, and its client still active
    (read by key, strongly consistent: a revoked client's tokens are refused from the next uncached call)."""
    claims = oauth_tokens.verify(token, oauth.signing_key, int(clock.now().timestamp()))
    if claims is None:
        raise Unauthorized()
    record = clients.client(claims.client_id)
    if record is None or record.get("status") != "active" or record.get("tenantId") != claims.tenant_id:
        raise Unauthorized()
    return claims.tenant_id, claims.client_id, claims.scopes & frozenset(record["scopes"])


def authorize(authorization: str | None, method_arn: str) -> dict[str, Any]:
    """The authorizer's answer for a Bearer API key or access token, or Unauthorized for a missing, malformed,
    unknown, revoked, forged or expired one. An access token's principal is its client: `keyId` is the client id."""
    if not authorization or not apikeys.is_bearer(authorization):
        raise Unauthorized()
    value = authorization[len("Bearer ") :]
    tenant_id, key_id, scopes = _token(value) if oauth_tokens.is_token(value) else _key(authorization)
    resources = allowed_resources(method_arn, scopes)
    statement = (
        {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": resources}
        if resources
        else {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": method_arn}
    )
    answer: dict[str, Any] = {
        "principalId": f"{tenant_id}/{key_id}",
        "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
        "context": {"tenantId": tenant_id, "scopes": " ".join(sorted(scopes)), "keyId": key_id},
    }
    usage_key = usage_key_of(tenant_id)
    if usage_key:
        answer["usageIdentifierKey"] = usage_key
    return answer


def usage_key_of(tenant_id: str) -> str | None:
    """The API Gateway key whose usage plan throttles this tenant: its own (`loyalty tenant limits`),
    else the stack's shared default plan (DEFAULT_USAGE_KEY); none locally, where no plan applies."""
    return keys.usage_key(tenant_id) or os.environ.get("DEFAULT_USAGE_KEY")
