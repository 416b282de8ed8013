"""Synthesise the stack in-process and check routes, authorizer, IAM, cdk-nag and resource counts."""

import json
from pathlib import Path

import pytest
from aws_cdk.assertions import Annotations, Match
from loyalty.repository.table import create_table_request
from loyalty.routes import JOBS, ROUTES, Route

from infra.app import build_app

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("cdk")]

READ = {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem"}
WRITE = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}


def synth(tmp: Path, routes: tuple[Route, ...] = ROUTES):
    app, stack = build_app(str(tmp), routes=routes)
    assembly = app.synth()
    templates = {"parent": assembly.get_stack_by_name(stack.stack_name).template}
    for nested in sorted(tmp.glob("*.nested.template.json")):
        templates[nested.name] = json.loads(nested.read_text())
    return stack, templates


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory):
    return synth(tmp_path_factory.mktemp("cdk"))


def resources(templates, kind):
    return [
        (name, logical, resource)
        for name, template in templates.items()
        for logical, resource in template["Resources"].items()
        if resource["Type"] == kind
    ]


def test_every_route_has_a_method_with_the_authorizer_and_its_own_function(synthesized):
    _, templates = synthesized
    methods = resources(templates, "AWS::ApiGateway::Method")
    by_operation = {resource["Properties"]["OperationName"]: resource["Properties"] for _, _, resource in methods}
    assert set(by_operation) == {route.function for route in ROUTES}
    for route in ROUTES:
        method = by_operation[route.function]
        assert method["HttpMethod"] == route.method
        assert method["AuthorizationType"] == "CUSTOM"
        assert method["AuthorizerId"]
        assert method["Integration"]["Type"] == "AWS_PROXY"
    (authorizer,) = [resource for _, _, resource in resources(templates, "AWS::ApiGateway::Authorizer")]
    assert authorizer["Properties"]["Type"] == "TOKEN"
    assert authorizer["Properties"]["AuthorizerResultTtlInSeconds"] == 300


def test_functions_run_arm64_python_with_both_layers_and_json_logs(synthesized):
    _, templates = synthesized
    functions = resources(templates, "AWS::Lambda::Function")
    assert len(functions) >= len(ROUTES) + 1
    memory = set()
    for _, _, function in functions:
        props = function["Properties"]
        assert props["Architectures"] == ["arm64"]
        assert props["Runtime"] in ("python3.12", "python3.13")
        assert len(props["Layers"]) == 2
        assert props["LoggingConfig"]["LogFormat"] == "JSON"
        assert props["TracingConfig"]["Mode"] == "Active"
        memory.add(props["MemorySize"])
    assert len(memory) == 1


def test_each_job_runs_on_its_schedule_with_the_long_timeout(synthesized):
    _, templates = synthesized
    rules = [resource["Properties"] for _, _, resource in resources(templates, "AWS::Events::Rule")]
    unit = {"minute": 1, "minutes": 1, "hour": 60, "hours": 60}
    minutes = [
        int(e.split("(")[1].split()[0]) * unit[e.split()[1][:-1]] for e in (r["ScheduleExpression"] for r in rules)
    ]
    assert sorted(minutes) == sorted(job.schedule_minutes for job in JOBS)
    descriptions = {job.summary for job in JOBS}
    jobs = [
        resource["Properties"]
        for _, _, resource in resources(templates, "AWS::Lambda::Function")
        if resource["Properties"].get("Description") in descriptions
    ]
    assert len(jobs) == len(JOBS) and {job["Timeout"] for job in jobs} == {900}


def _dynamo_actions(statements):
    actions = set()
    for statement in statements:
        listed = statement["Action"]
        actions |= {a for a in ([listed] if isinstance(listed, str) else listed) if a.startswith("dynamodb:")}
    return actions


def test_iam_actions_match_each_functions_kind_and_nothing_scans(synthesized):
    _, templates = synthesized
    policies = resources(templates, "AWS::IAM::Policy")
    by_description = {}
    for _name, _, function in resources(templates, "AWS::Lambda::Function"):
        role_logical = function["Properties"]["Role"]["Fn::GetAtt"][0]
        statements = [
            s
            for _, _, policy in policies
            if {"Ref": role_logical} in policy["Properties"]["Roles"]
            for s in policy["Properties"]["PolicyDocument"]["Statement"]
        ]
        by_description[function["Properties"].get("Description")] = _dynamo_actions(statements)
    for route in ROUTES:
        actions = by_description[f"{route.method} {route.path}"]
        assert actions == (READ | WRITE if route.writes else READ), route
    for actions in by_description.values():
        assert "dynamodb:Scan" not in actions and "dynamodb:*" not in actions
    text = json.dumps(templates)
    assert "dynamodb:Scan" not in text


def test_table_has_the_designed_keys_ttl_pitr_and_retain(synthesized):
    _, templates = synthesized
    ((_, _, table),) = resources(templates, "AWS::DynamoDB::GlobalTable")
    props = table["Properties"]
    assert table["DeletionPolicy"] == "Retain"
    assert {k["AttributeName"] for k in props["KeySchema"]} == {"pk", "sk"}
    assert {i["IndexName"] for i in props["GlobalSecondaryIndexes"]} == {"gsi1", "gsi2", "gsi3"}
    local = {i["IndexName"]: i["Projection"] for i in create_table_request("t")["GlobalSecondaryIndexes"]}
    assert {i["IndexName"]: i["Projection"] for i in props["GlobalSecondaryIndexes"]} == local  # one definition
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiresAtEpoch", "Enabled": True}
    assert props["Replicas"][0]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_gateway_responses_use_the_error_envelope_and_stage_is_production(synthesized):
    _, templates = synthesized
    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for _, _, r in resources(templates, "AWS::ApiGateway::GatewayResponse")
    }
    for kind in ("UNAUTHORIZED", "ACCESS_DENIED", "THROTTLED", "DEFAULT_5XX", "DEFAULT_4XX"):
        body = json.loads(responses[kind]["ResponseTemplates"]["application/json"])
        assert set(body["error"]) == {"code", "message"}
    assert responses["UNAUTHORIZED"]["StatusCode"] == "401"
    assert responses["ACCESS_DENIED"]["StatusCode"] == "403"
    ((_, _, stage),) = resources(templates, "AWS::ApiGateway::Stage")
    assert stage["Properties"]["StageName"] == "Production"
    assert stage["Properties"]["TracingEnabled"] is True
    assert stage["Properties"]["AccessLogSetting"]["DestinationArn"]
    assert stage["Properties"]["MethodSettings"][0]["ThrottlingRateLimit"] > 0
    assert resources(templates, "AWS::CloudWatch::Dashboard")
    assert len(resources(templates, "AWS::CloudWatch::Alarm")) >= 2 * len(ROUTES)
    outputs = templates["parent"]["Outputs"]
    assert {"ApiUrl", "TableName"} <= set(outputs)


def test_cdk_nag_reports_no_unsuppressed_error(synthesized):
    stack, _ = synthesized
    errors = [
        f"{construct.node.path}: {entry.data}"
        for construct in stack.node.find_all()
        for entry in construct.node.metadata
        if entry.type == "aws:cdk:error" and "AwsSolutions-" in str(entry.data)
    ]
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("AwsSolutions-.*"))
    assert errors == []
    assert isinstance(warnings, list)


def test_80_routes_stay_under_400_resources_per_template(tmp_path):
    many = tuple(
        Route(
            base.method,
            f"/generated{i}{base.path}",
            base.function,
            base.scopes,
            base.writes,
            base.summary,
            base.tag,
        )
        for i in range(80 // len(ROUTES) + 1)
        for base in ROUTES
    )[:80]
    _, templates = synth(tmp_path, many)
    assert len(resources(templates, "AWS::ApiGateway::Method")) == 80
    for name, template in templates.items():
        assert len(template["Resources"]) < 400, name
