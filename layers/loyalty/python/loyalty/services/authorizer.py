"""The Lambda authorizer's rules: resolve a key to its tenant and scopes and build the gateway policy."""

from __future__ import annotations

import os
from typing import Any

from loyalty import apikeys
from loyalty.errors import Unauthorized
from loyalty.repository import keys, store
from loyalty.routes import ROUTES


def allowed_resources(method_arn: str, scopes: frozenset[str]) -> list[str]:
    """Every route ARN the scopes may call, so one cached policy (60 s) serves all of them."""
    # arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path...}
    prefix = "/".join(method_arn.split("/")[:2])
    return [f"{prefix}/{route.method}{route.arn_path}" for route in ROUTES if route.scopes & scopes]


def authorize(authorization: str | None, method_arn: str) -> dict[str, Any]:
    """The authorizer's answer for a bearer token, or Unauthorized for a missing, bad or revoked key."""
    secret_hash = apikeys.bearer_digest(authorization)
    if secret_hash is None:
        raise Unauthorized()
    record = store.get(keys.key_index(secret_hash))
    if record is None or record.get("status") != "active":
        raise Unauthorized()
    scopes = frozenset(record["scopes"])
    resources = allowed_resources(method_arn, scopes)
    statement = (
        {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": resources}
        if resources
        else {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": method_arn}
    )
    answer: dict[str, Any] = {
        "principalId": f"{record['tenantId']}/{record['keyId']}",
        "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
        "context": {
            "tenantId": record["tenantId"],
            "scopes": " ".join(sorted(scopes)),
            "keyId": record["keyId"],
        },
    }
    usage_key = usage_key_of(record["tenantId"])
    if usage_key:
        answer["usageIdentifierKey"] = usage_key
    return answer


def usage_key_of(tenant_id: str) -> str | None:
    """The API Gateway key whose usage plan throttles this tenant: its own (`loyalty tenant limits`),
    else the stack's shared default plan (DEFAULT_USAGE_KEY); none locally, where no plan applies."""
    return keys.usage_key(tenant_id) or os.environ.get("DEFAULT_USAGE_KEY")
