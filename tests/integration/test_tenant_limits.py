"""Per-tenant rate limits: `loyalty tenant limits` gives a tenant its own API Gateway key and usage plan
(moto's API Gateway), and the authorizer answers that key as usageIdentifierKey."""

import json

import boto3
import pytest
from loyalty import apikeys
from loyalty.services import tenants
from loyalty.services.authorizer import authorize

from tools import cli

ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/Production/GET/status"


@pytest.fixture
def api_id():
    client = boto3.client("apigateway")
    api = client.create_rest_api(name="limits-test", apiKeySource="AUTHORIZER")
    root = client.get_resources(restApiId=api["id"])["items"][0]["id"]
    client.put_method(restApiId=api["id"], resourceId=root, httpMethod="GET", authorizationType="NONE")
    client.put_integration(restApiId=api["id"], resourceId=root, httpMethod="GET", type="MOCK")
    client.create_deployment(restApiId=api["id"], stageName="Production")
    return api["id"]


def _limits(capsys, *args):
    cli.main(["tenant", "limits", *args])
    return json.loads(capsys.readouterr().out)


def test_limits_create_then_update_one_key_and_one_plan_per_tenant(fresh_table, api_id, capsys, monkeypatch):
    monkeypatch.setenv("DEFAULT_USAGE_KEY", "shared-default-tenant-limits")
    tenants.create_tenant("fast", "Fast")
    tenants.create_tenant("slow", "Slow")
    bearer = "Bearer " + tenants.issue_key("fast", ["read"])["key"]
    assert authorize(bearer, ARN)["usageIdentifierKey"] == "shared-default-tenant-limits"

    first = _limits(capsys, "fast", "--rate", "100", "--burst", "200", "--api-id", api_id)
    _limits(capsys, "slow", "--rate", "5", "--burst", "10", "--api-id", api_id)
    again = _limits(capsys, "fast", "--rate", "250", "--burst", "500", "--api-id", api_id)
    assert again["usagePlanId"] == first["usagePlanId"]

    client = boto3.client("apigateway")
    plans = {plan["name"]: plan for plan in client.get_usage_plans()["items"] if plan["name"].startswith(api_id)}
    assert set(plans) == {f"{api_id}-tenant-fast", f"{api_id}-tenant-slow"}
    fast = plans[f"{api_id}-tenant-fast"]
    assert fast["throttle"] == {"rateLimit": 250, "burstLimit": 500}
    assert fast["apiStages"] == [{"apiId": api_id, "stage": "Production"}]
    assert plans[f"{api_id}-tenant-slow"]["throttle"] == {"rateLimit": 5.0, "burstLimit": 10}
    (key,) = client.get_usage_plan_keys(usagePlanId=fast["id"])["items"]
    value = client.get_api_key(apiKey=key["id"], includeValue=True)["value"]
    mine = [k for k in client.get_api_keys()["items"] if k["name"].startswith(api_id)]
    assert len(mine) == 2  # one key per tenant, kept when limits change

    answer = authorize(bearer, ARN)
    assert answer["usageIdentifierKey"] == value
    assert answer["context"]["tenantId"] == "fast"


def test_limits_refuse_an_unknown_tenant_or_a_zero_rate(fresh_table, api_id, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["tenant", "limits", "ghost", "--rate", "10", "--burst", "10", "--api-id", api_id])
    assert exited.value.code == 2
    tenants.create_tenant("real", "Real")
    with pytest.raises(SystemExit):
        cli.main(["tenant", "limits", "real", "--rate", "0", "--burst", "10", "--api-id", api_id])
    assert not [p for p in boto3.client("apigateway").get_usage_plans()["items"] if p["name"].startswith(api_id)]


def test_the_authorizer_refuses_a_malformed_header_with_the_gateways_own_pattern(fresh_table):
    import re

    pattern = re.compile(apikeys.BEARER_PATTERN)
    tenants.create_tenant("shape", "Shape")
    key = tenants.issue_key("shape", ["read"])["key"]
    assert pattern.fullmatch(f"Bearer {key}")
    for header in (f"Bearer {key}\n", f"bearer {key}", f"Bearer  {key}", f"Bearer {key}.x", "Bearer ", key):
        assert apikeys.bearer_digest(header) is None, header
