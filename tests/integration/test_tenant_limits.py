"""Per-tenant rate limits: `loyalty tenant limits` gives a tenant its own API Gateway key and usage plan
(moto's API Gateway), and the authorizer answers that key as usageIdentifierKey."""

import json
import uuid

import boto3
import pytest
from loyalty import apikeys
from loyalty.repository import keys
from loyalty.services import tenants
from loyalty.services.authorizer import authorize

from tools import cli, limits
from tools.exits import Exit

ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/Production/GET/status"


@pytest.fixture
def api_id():
    client = boto3.client("apigateway")
    api = client.create_rest_api(name=f"limits-{uuid.uuid4().hex[:8]}", apiKeySource="AUTHORIZER")
    root = client.get_resources(restApiId=api["id"])["items"][0]["id"]
    client.put_method(restApiId=api["id"], resourceId=root, httpMethod="GET", authorizationType="NONE")
    client.put_integration(restApiId=api["id"], resourceId=root, httpMethod="GET", type="MOCK")
    client.create_deployment(restApiId=api["id"], stageName="Production")
    client.create_usage_plan(  # what the stack makes: <stack name>-default, on the API's stage
        name=f"{api['name']}-default",
        apiStages=[{"apiId": api["id"], "stage": "Production"}],
        throttle={"rateLimit": 50, "burstLimit": 100},
    )
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
    assert exited.value.code == Exit.REFUSED
    tenants.create_tenant("real", "Real")
    with pytest.raises(SystemExit):
        cli.main(["tenant", "limits", "real", "--rate", "0", "--burst", "10", "--api-id", api_id])
    assert not [p for p in boto3.client("apigateway").get_usage_plans()["items"] if p["name"].startswith(api_id)]


def test_the_authorizer_refuses_a_malformed_header_with_the_gateways_own_pattern(fresh_table):
    import re

    pattern = re.compile(apikeys.BEARER_PATTERN)
    tenants.create_tenant("shape", "Shape")
    key = tenants.issue_key("shape", ["read"])["key"]
    for scheme in ("Bearer", "bearer", "BEARER", "bEaReR"):  # RFC 9110: the scheme is case-insensitive
        assert pattern.fullmatch(f"{scheme} {key}") and apikeys.bearer_digest(f"{scheme} {key}") == apikeys.digest(key)
    for header in (f"Bearer {key}\n", f"Bearer  {key}", f"Bearer {key}.x", "Bearer ", f"Bearer\t{key}", key):
        assert apikeys.bearer_digest(header) is None, header


def _default_plan(client, api_id: str) -> str:
    return client.get_rest_api(restApiId=api_id)["name"] + "-default"


def _plan_keys(client, plan_name: str) -> set[str]:
    (plan,) = [p for p in client.get_usage_plans()["items"] if p["name"] == plan_name]
    return {k["id"] for k in client.get_usage_plan_keys(usagePlanId=plan["id"])["items"]}


def _tenant_keys(client, api_id: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for key in client.get_api_keys()["items"]:
        found.setdefault(key["name"], []).append(key["id"])
    return {name: ids for name, ids in found.items() if name.startswith(api_id)}


def test_every_tenant_gets_its_own_key_on_the_default_plan_at_create(fresh_table, api_id, capsys):
    """A plan's rate applies to each of its keys: two tenants on the default plan do not share one limit."""
    client = boto3.client("apigateway")
    for tenant_id in ("one", "two"):
        cli.main(["tenant", "create", tenant_id, "--api-id", api_id])
        assert json.loads(capsys.readouterr().out)["gateway"]["usagePlanId"]
    bearers = {t: "Bearer " + tenants.issue_key(t, ["read"])["key"] for t in ("one", "two")}
    usage = {t: authorize(bearer, ARN)["usageIdentifierKey"] for t, bearer in bearers.items()}
    assert len(set(usage.values())) == 2 and "shared-default-tenant-limits" not in usage.values()
    owned = _tenant_keys(client, api_id)
    assert {name: len(ids) for name, ids in owned.items()} == {f"{api_id}-tenant-one": 1, f"{api_id}-tenant-two": 1}
    assert _plan_keys(client, _default_plan(client, api_id)) == {ids[0] for ids in owned.values()}
    for value in usage.values():  # the authorizer names the very key that is on the plan
        assert value in {client.get_api_key(apiKey=ids[0], includeValue=True)["value"] for ids in owned.values()}

    _limits(capsys, "one", "--rate", "500", "--burst", "900", "--api-id", api_id)  # moves its key to its own plan
    assert _plan_keys(client, f"{api_id}-tenant-one") == set(owned[f"{api_id}-tenant-one"])
    assert _plan_keys(client, _default_plan(client, api_id)) == set(owned[f"{api_id}-tenant-two"])
    assert authorize(bearers["one"], ARN)["usageIdentifierKey"] == usage["one"]  # the same key, another plan
    cli.main(["tenant", "gateway-key", "one", "--api-id", api_id])  # re-running keeps its own plan
    assert json.loads(capsys.readouterr().out)["usagePlanId"] != _plan_of(client, _default_plan(client, api_id))
    assert _tenant_keys(client, api_id) == owned


def _plan_of(client, name: str) -> str:
    (plan,) = [p["id"] for p in client.get_usage_plans()["items"] if p["name"] == name]
    return plan


class FailsOnce:
    """An API Gateway client whose `operation` fails the first time, as a dropped connection would."""

    def __init__(self, client, operation: str) -> None:
        self._client, self._operation, self.failed = client, operation, False

    def __getattr__(self, name):
        attribute = getattr(self._client, name)
        if name != self._operation or self.failed:
            return attribute

        def fail(**kwargs):
            self.failed = True
            raise ConnectionError(f"{name} failed")

        return fail


@pytest.mark.parametrize("failing", ["create_usage_plan", "create_usage_plan_key", "delete_usage_plan_key"])
def test_limits_that_fail_half_way_leave_no_orphan_and_a_rerun_finishes(fresh_table, api_id, capsys, failing):
    client = boto3.client("apigateway")
    tenant = f"flaky-{uuid.uuid4().hex[:6]}"
    tenants.create_tenant(tenant, "Flaky")
    limits.give_key(client, api_id, tenant)
    flaky = FailsOnce(client, failing)
    with pytest.raises(ConnectionError):
        limits.set_limits(flaky, api_id, tenant, 20, 40)
    assert flaky.failed
    answer = limits.set_limits(flaky, api_id, tenant, 20, 40)
    ((key_id,),) = _tenant_keys(client, api_id).values()  # one key, whatever failed
    assert [p["name"] for p in client.get_usage_plans()["items"] if p["name"].startswith(api_id)] == [
        f"{api_id}-tenant-{tenant}"
    ]
    assert _plan_keys(client, f"{api_id}-tenant-{tenant}") == {key_id}
    assert _plan_keys(client, _default_plan(client, api_id)) == set()
    assert keys.usage_limits(tenant) == {
        "usageKeyId": key_id,
        "usageKey": client.get_api_key(apiKey=key_id, includeValue=True)["value"],
        "usagePlanId": answer["usagePlanId"],
        "rateLimit": 20,
        "burstLimit": 40,
    }


def test_a_key_created_by_a_run_that_failed_before_recording_it_is_adopted(fresh_table, api_id):
    client = boto3.client("apigateway")
    tenants.create_tenant("lost", "Lost")
    orphan = client.create_api_key(name=f"{api_id}-tenant-lost", enabled=True)  # made, never recorded
    limits.give_key(client, api_id, "lost")
    assert _tenant_keys(client, api_id) == {f"{api_id}-tenant-lost": [orphan["id"]]}
    assert keys.usage_limits("lost")["usageKeyId"] == orphan["id"]


def test_a_deployed_table_needs_the_api_id_to_create_a_tenant(monkeypatch, capsys):
    monkeypatch.setattr(cli, "_target", lambda: "deployed")
    monkeypatch.delenv("LOYALTY_API_ID", raising=False)
    with pytest.raises(SystemExit) as exited:
        cli.main(["tenant", "create", "nokey"])
    assert exited.value.code == Exit.USAGE and "LOYALTY_API_ID" in capsys.readouterr().err
