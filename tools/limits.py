"""Per-tenant throttling on the deployed API: every tenant has its own API Gateway API key.

The API takes usage-plan keys from the authorizer (apiKeySource AUTHORIZER): the authorizer answers
the tenant's key value as `usageIdentifierKey`, so clients never see or send it. A usage plan's rate
applies to each of its keys separately, so `tenant create` attaches the tenant's own key to the stack's
default plan and every tenant gets the default rate for itself, not a share of it; `tenant limits`
moves the key to a plan of the tenant's own (other rate and burst). Plans are few (300 per region by
default), keys many (10,000).

Every step looks up before it creates and records what it made on the tenant record at once: a run
that fails half-way leaves nothing unknown behind, and running the command again finishes the job.
"""

from __future__ import annotations

from typing import Any

from loyalty.errors import NotFound, ValidationFailed
from loyalty.repository import keys
from loyalty.services import tenants

from infra.config import STAGE_NAME


def _name(api_id: str, tenant_id: str) -> str:
    """The name of the tenant's API key and of its own usage plan (both unique per API)."""
    return f"{api_id}-tenant-{tenant_id}"


def _covers(plan: dict[str, Any], api_id: str, stage: str) -> bool:
    return any(s.get("apiId") == api_id and s.get("stage") == stage for s in plan.get("apiStages", []))


def _find_plan(client: Any, name: str) -> dict[str, Any] | None:
    return next((plan for plan in _all_plans(client) if plan["name"] == name), None)


def _all_plans(client: Any, **filters: Any) -> list[dict[str, Any]]:
    return [plan for page in client.get_paginator("get_usage_plans").paginate(**filters) for plan in page["items"]]


def _existing_key(client: Any, key_id: str) -> dict[str, Any] | None:
    try:
        return client.get_api_key(apiKey=key_id, includeValue=True)
    except client.exceptions.NotFoundException:
        return None


def tenant_key(client: Any, api_id: str, tenant_id: str) -> dict[str, Any]:
    """The tenant's own API Gateway key: the recorded one, else one left by a failed run, else a new one;
    recorded on the tenant before anything else is done with it."""
    if not tenants.tenant_exists(tenant_id):
        raise NotFound(f"Tenant {tenant_id} does not exist.")
    known = keys.usage_limits(tenant_id)
    key = _existing_key(client, known["usageKeyId"]) if known else None
    if key is None:
        name = _name(api_id, tenant_id)
        pages = client.get_paginator("get_api_keys").paginate(nameQuery=name, includeValues=True)
        key = next((k for page in pages for k in page["items"] if k["name"] == name), None)
    if key is None:
        key = client.create_api_key(
            name=_name(api_id, tenant_id), enabled=True, description=f"Usage-plan key of tenant {tenant_id}"
        )
    if not known or known.get("usageKeyId") != key["id"]:
        keys.record_usage(tenant_id, usageKeyId=key["id"], usageKey=key["value"])
    return key


def _attach(client: Any, api_id: str, stage: str, key_id: str, plan_id: str) -> None:
    """Make `plan_id` the key's one plan on this API stage (API Gateway allows one): leave the others first."""
    for plan in _all_plans(client, keyId=key_id):
        if plan["id"] != plan_id and _covers(plan, api_id, stage):
            client.delete_usage_plan_key(usagePlanId=plan["id"], keyId=key_id)
    attached = {
        k["id"]
        for page in client.get_paginator("get_usage_plan_keys").paginate(usagePlanId=plan_id)
        for k in page.get("items", [])
    }
    if key_id not in attached:
        client.create_usage_plan_key(usagePlanId=plan_id, keyId=key_id, keyType="API_KEY")


def default_plan(client: Any, api_id: str, stage: str = STAGE_NAME) -> dict[str, Any]:
    """The stack's default plan (`<stack>-default`, infra/constructs/api.py) on this API stage."""
    name = f"{client.get_rest_api(restApiId=api_id)['name']}-default"
    plan = next((p for p in _all_plans(client) if p["name"] == name and _covers(p, api_id, stage)), None)
    if plan is None:
        raise NotFound(f"No usage plan {name} on API {api_id} stage {stage}: is it the stack's ApiId output?")
    return plan


def give_key(client: Any, api_id: str, tenant_id: str, stage: str = STAGE_NAME) -> dict[str, Any]:
    """Give a new tenant its own key on the default plan (a tenant with a plan of its own keeps it); idempotent."""
    key = tenant_key(client, api_id, tenant_id)
    known = keys.usage_limits(tenant_id) or {}
    own = _find_plan(client, _name(api_id, tenant_id))
    plan = own if own is not None and known.get("usagePlanId") == own["id"] else default_plan(client, api_id, stage)
    _attach(client, api_id, stage, key["id"], plan["id"])
    if known.get("usagePlanId") != plan["id"]:
        keys.record_usage(tenant_id, usagePlanId=plan["id"])
    return {"tenantId": tenant_id, "usageKeyId": key["id"], "usagePlanId": plan["id"], **plan.get("throttle", {})}


def set_limits(
    client: Any, api_id: str, tenant_id: str, rate: float, burst: int, stage: str = STAGE_NAME
) -> dict[str, Any]:
    """Create or update the tenant's own usage plan with this rate and burst and move its key there; idempotent."""
    if rate <= 0 or burst < 1:
        raise ValidationFailed("The rate must be above 0 requests/s and the burst at least 1.")
    key = tenant_key(client, api_id, tenant_id)
    name = _name(api_id, tenant_id)
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
    keys.record_usage(tenant_id, usagePlanId=plan["id"])
    _attach(client, api_id, stage, key["id"], plan["id"])
    keys.record_usage(tenant_id, rateLimit=rate, burstLimit=burst)
    return {"tenantId": tenant_id, "usagePlanId": plan["id"], "rateLimit": rate, "burstLimit": burst}
