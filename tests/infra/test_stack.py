"""The synthesised stack: routes, authorizer, functions, IAM, table, gateway responses, cdk-nag, size."""

import json

import pytest
from aws_cdk.assertions import Annotations, Match
from loyalty.apikeys import BEARER_PATTERN
from loyalty.repository.table import create_table_request
from loyalty.routes import DELIVERY_FUNCTION, IMPORT_FUNCTIONS, JOBS, ROUTES, Route

from infra import config, permissions
from infra.constructs import docs, imports, webhooks
from tests.infra.synth import Synthesized, dynamo_actions, functions_by_description
from tests.support.dynamo_actions import every_function_run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("cdk")]


def test_every_route_has_a_keyed_method_with_the_authorizer_and_its_own_function(synthesized):
    by_operation = {props["OperationName"]: props for props in synthesized.props("AWS::ApiGateway::Method")}
    assert set(by_operation) == {route.function for route in ROUTES} | {docs.OPERATION}
    for route in ROUTES:
        method = by_operation[route.function]
        assert method["HttpMethod"] == route.method
        assert method["Integration"]["Type"] == "AWS_PROXY"
        if route.public:  # POST /oauth/token: no authorizer, no usage plan (throttled per method instead)
            assert method["AuthorizationType"] == "NONE" and "AuthorizerId" not in method, route
            assert method["ApiKeyRequired"] is False
            continue
        assert method["AuthorizationType"] == "CUSTOM"
        assert method["AuthorizerId"]
        assert method["ApiKeyRequired"] is True  # the tenant's usage plan applies to every route


def test_the_authorizer_validates_the_header_shape_caches_briefly_and_answers_fast(synthesized):
    (authorizer,) = synthesized.props("AWS::ApiGateway::Authorizer")
    assert authorizer["Type"] == "TOKEN"
    assert authorizer["IdentityValidationExpression"] == BEARER_PATTERN
    assert 0 < authorizer["AuthorizerResultTtlInSeconds"] <= 60
    _, _, function = functions_by_description(synthesized)["API key authorizer"]
    assert function["Properties"]["Timeout"] == config.AUTHORIZER_TIMEOUT_SECONDS <= 10


def test_functions_run_arm64_python_with_both_layers_and_json_logs(synthesized):
    functions = [p for p in synthesized.props("AWS::Lambda::Function") if p.get("Description") != docs.DESCRIPTION]
    # and the authorizer, the event builder, the webhooks' and the import workflow's (infra/constructs/imports.py)
    assert len(functions) == len(ROUTES) + len(JOBS) + 3 + len(IMPORT_FUNCTIONS)
    for props in functions:
        assert props["Architectures"] == ["arm64"]
        assert props["Runtime"] == config.PYTHON_RUNTIME
        assert len(props["Layers"]) == 2
        assert props["LoggingConfig"]["LogFormat"] == "JSON"
        assert props["TracingConfig"]["Mode"] == "Active"
    memory = {props.get("Description"): props["MemorySize"] for props in functions}
    assert {memory[job.summary] for job in JOBS} == {config.JOB_MEMORY_MB}
    assert {memory[imports.DESCRIPTIONS[name]] for name in IMPORT_FUNCTIONS} == {config.JOB_MEMORY_MB}
    full = {j.summary for j in JOBS} | set(imports.DESCRIPTIONS.values())  # a vCPU
    assert {size for description, size in memory.items() if description not in full} == {config.FUNCTION_MEMORY_MB}


def test_each_function_may_call_what_its_code_calls_and_nothing_that_no_function_of_its_kind_calls(
    synthesized, local_api
):
    with local_api.on_engine():  # every route, job and the authorizer run, their DynamoDB actions recorded
        seen = every_function_run(local_api.new_tenant())
    functions = functions_by_description(synthesized)
    described = {route.function: f"{route.method} {route.path}" for route in ROUTES}
    described |= {job.function: job.summary for job in JOBS} | {"authorizer": "API key authorizer"}
    described |= {DELIVERY_FUNCTION: webhooks.DESCRIPTION}
    granted = {name: dynamo_actions(synthesized, functions[d][0], functions[d][2]) for name, d in described.items()}
    assert set(seen) == set(granted)
    for name, used in seen.items():
        assert used <= granted[name], (name, "would be denied", used - granted[name])
    # No more than its kind needs: a reader, a writer, a job or the authorizer is granted only actions the
    # functions of its kind were seen to call (not per function: one run cannot reach every path of each).
    kinds = {
        "read": [r.function for r in ROUTES if not r.writes and r.function not in permissions.NO_TABLE],
        "write": [r.function for r in ROUTES if r.writes and not r.public],
        "oauth": [r.function for r in ROUTES if r.public],
        "authorizer": ["authorizer"],
        "job": [job.function for job in JOBS],
        "delivery": [DELIVERY_FUNCTION],
    }
    for members in kinds.values():
        called = set().union(*(seen[name] for name in members))
        for name in members:
            assert granted[name] <= called, (name, "granted but never called by its kind", granted[name] - called)
    assert all(granted[name] == seen[name] == set() for name in permissions.NO_TABLE)
    assert granted["authorizer"] == seen["authorizer"] == {"dynamodb:GetItem"}
    text = json.dumps(synthesized.templates)
    assert "dynamodb:Scan" not in text and '"dynamodb:*"' not in text


def test_table_has_the_designed_keys_ttl_pitr_and_retain(synthesized):
    ((_, _, table),) = synthesized.resources("AWS::DynamoDB::GlobalTable")
    props = table["Properties"]
    assert table["DeletionPolicy"] == "Retain"
    assert {k["AttributeName"] for k in props["KeySchema"]} == {"pk", "sk"}
    assert {i["IndexName"] for i in props["GlobalSecondaryIndexes"]} == {"gsi1", "gsi2", "gsi3"}
    local = {i["IndexName"]: i["Projection"] for i in create_table_request("t")["GlobalSecondaryIndexes"]}
    assert {i["IndexName"]: i["Projection"] for i in props["GlobalSecondaryIndexes"]} == local  # one definition
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiresAtEpoch", "Enabled": True}
    assert props["Replicas"][0]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


# Every response type API Gateway REST APIs answer with (AWS::ApiGateway::GatewayResponse ResponseType).
GATEWAY_RESPONSE_TYPES = {
    "ACCESS_DENIED", "API_CONFIGURATION_ERROR", "AUTHORIZER_CONFIGURATION_ERROR", "AUTHORIZER_FAILURE",
    "BAD_REQUEST_PARAMETERS", "BAD_REQUEST_BODY", "DEFAULT_4XX", "DEFAULT_5XX", "EXPIRED_TOKEN",
    "INTEGRATION_FAILURE", "INTEGRATION_TIMEOUT", "INVALID_API_KEY", "INVALID_SIGNATURE",
    "MISSING_AUTHENTICATION_TOKEN", "QUOTA_EXCEEDED", "REQUEST_TOO_LARGE", "RESOURCE_NOT_FOUND", "THROTTLED",
    "UNAUTHORIZED", "UNSUPPORTED_MEDIA_TYPE", "WAF_FILTERED",
}  # fmt: skip


def test_each_gateway_response_has_its_own_status_and_code_in_the_error_envelope(synthesized):
    responses = {r["ResponseType"]: r for r in synthesized.props("AWS::ApiGateway::GatewayResponse")}
    assert set(responses) == GATEWAY_RESPONSE_TYPES
    answers = {}
    for kind, response in responses.items():
        body = json.loads(response["ResponseTemplates"]["application/json"])
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, kind
        status = response.get("StatusCode")
        retry = (response.get("ResponseParameters") or {}).get("gatewayresponse.header.Retry-After")
        answers[kind] = (status, body["error"]["code"], retry)
        assert (retry == "'1'") == (status in ("429", "503")), kind  # only what may succeed later says when
    # the catch-alls keep the gateway's status: a status on them would rewrite every unmapped response
    assert answers["DEFAULT_4XX"][0] is None and answers["DEFAULT_5XX"][0] is None
    assert {kind: answers[kind][:2] for kind in GATEWAY_RESPONSE_TYPES - {"DEFAULT_4XX", "DEFAULT_5XX"}} == {
        "UNAUTHORIZED": ("401", "unauthorized"),
        "ACCESS_DENIED": ("403", "forbidden"),
        "INVALID_API_KEY": ("403", "forbidden"),
        "INVALID_SIGNATURE": ("403", "forbidden"),
        "EXPIRED_TOKEN": ("403", "forbidden"),
        "WAF_FILTERED": ("403", "forbidden"),
        "MISSING_AUTHENTICATION_TOKEN": ("404", "not_found"),
        "RESOURCE_NOT_FOUND": ("404", "not_found"),
        "REQUEST_TOO_LARGE": ("413", "payload_too_large"),
        "UNSUPPORTED_MEDIA_TYPE": ("415", "unsupported_media_type"),
        "BAD_REQUEST_BODY": ("400", "validation_error"),
        "BAD_REQUEST_PARAMETERS": ("400", "validation_error"),
        "THROTTLED": ("429", "throttled"),
        "QUOTA_EXCEEDED": ("429", "throttled"),
        "AUTHORIZER_FAILURE": ("503", "unavailable"),
        "AUTHORIZER_CONFIGURATION_ERROR": ("500", "internal_error"),
        "API_CONFIGURATION_ERROR": ("500", "internal_error"),
        "INTEGRATION_FAILURE": ("502", "internal_error"),
        "INTEGRATION_TIMEOUT": ("504", "timeout"),
    }
    outputs = synthesized.parent["Outputs"]
    assert {"ApiUrl", "ApiId", "TableName", "AlarmTopic", "JobDeadLetters"} <= set(outputs)


def test_the_deployment_comes_after_every_gateway_response(synthesized):
    """A deployment snapshots the gateway responses that exist when it is made; nothing else orders them."""
    ((_, _, deployment),) = synthesized.resources("AWS::ApiGateway::Deployment")
    responses = {logical for _, logical, _ in synthesized.resources("AWS::ApiGateway::GatewayResponse")}
    assert responses and responses <= set(deployment.get("DependsOn", []))


def test_cdk_nag_reports_no_unsuppressed_error(synthesized):
    stack = synthesized.stack
    errors = [
        f"{construct.node.path}: {entry.data}"
        for construct in stack.node.find_all()
        for entry in construct.node.metadata
        if entry.type == "aws:cdk:error" and "AwsSolutions-" in str(entry.data)
    ]
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("AwsSolutions-.*"))
    assert errors == []
    assert warnings == []


def test_80_routes_stay_under_400_resources_per_template(tmp_path):
    many = tuple(
        Route(base.method, f"/generated{i}{base.path}", base.function, base.scopes, base.writes, base.summary, base.tag)
        for i in range(80 // len(ROUTES) + 1)
        for base in ROUTES
    )[:80]
    synth = Synthesized(tmp_path, many)
    assert len(synth.resources("AWS::ApiGateway::Method")) == 80 + 1  # and GET /docs
    for name, template in synth.templates.items():
        assert len(template["Resources"]) < 400, name
