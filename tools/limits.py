"""Per-tenant rate limits on the deployed API: an API Gateway API key and usage plan per tenant.

The API takes usage-plan keys from the authorizer (apiKeySource AUTHORIZER): the authorizer answers
the tenant's key value as `usageIdentifierKey`, so clients never see or send it. A tenant without a
plan of its own falls back to the stack's shared default plan.
"""

from __future__ import annotations

from typing import Any

from loyalty.errors import NotFound, ValidationFailed
from loyalty.repository import keys
from loyalty.services import tenants

from infra.config import STAGE_NAME


def _plan_name(api_id: str, tenant_id: str) -> str:
    return f"{api_id}-tenant-{tenant_id}"


def _find_plan(client: Any, name: str) -> dict[str, Any] | None:
    for page in client.get_paginator("get_usage_plans").paginate():
        for plan in page.get("items", []):
            if plan["name"] == name:
                return plan
    return None


def set_limits(
    client: Any, api_id: str, tenant_id: str, rate: float, burst: int, stage: str = STAGE_NAME
) -> dict[str, Any]:
    """Create or update the tenant's own API key and usage plan with this rate and burst; idempotent."""
    if rate <= 0 or burst < 1:
        raise ValidationFailed("The rate must be above 0 requests/s and the burst at least 1.")
    if not tenants.tenant_exists(tenant_id):
        raise NotFound(f"Tenant {tenant_id} does not exist.")
    name = _plan_name(api_id, tenant_id)
    known = keys.usage_limits(tenant_id)
    if known:
        key = {"id": known["usageKeyId"], "value": known["usageKey"]}
    else:
        key = client.create_api_key(name=name, enabled=True, description=f"Usage-plan key of tenant {tenant_id}")
    plan = _find_plan(client, name)
    if plan is None:
        plan = client.create_usage_plan(
            name=name,
            description=f"Rate limits of tenant {tenant_id}",
            apiStages=[{"apiId": api_id, "stage": stage}],
            throttle={"rateLimit": rate, "burstLimit": burst},
        )
    else:
        plan = client.update_usage_plan(
            usagePlanId=plan["id"],
            patchOperations=[
                {"op": "replace", "path": "/throttle/rateLimit", "value": f"{rate:g}"},
                {"op": "replace", "path": "/throttle/burstLimit", "value": str(burst)},
            ],
        )
    attached = {
        k["id"]
        for page in client.get_paginator("get_usage_plan_keys").paginate(usagePlanId=plan["id"])
        for k in page.get("items", [])
    }
    if key["id"] not in attached:
        client.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    keys.record_usage_limits(
        tenant_id, key_id=key["id"], key_value=key["value"], plan_id=plan["id"], rate=rate, burst=burst
    )
    return {"tenantId": tenant_id, "usagePlanId": plan["id"], "rateLimit": rate, "burstLimit": burst}
