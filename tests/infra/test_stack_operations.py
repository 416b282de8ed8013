"""The synthesised stack's operations: alarms that notify, jobs that finish, per-tenant limits,
configuration that matches what is tested, access logs that stay JSON."""

import json
import re
from importlib.metadata import version

import pytest
from loyalty.http import FUNCTION_DIMENSION
from loyalty.routes import JOBS, ROUTES

from infra import config
from infra.constructs import docs
from infra.constructs.api import ACCESS_LOG_FIELDS, access_log_format, default_usage_key
from infra.constructs.lambdas import METRICS_NAMESPACE
from infra.permissions import pages
from tests.infra.synth import EMAIL, Synthesized, functions_by_description

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("cdk")]


def _logical(synth, kind):
    ((_, logical, _),) = synth.resources(kind)
    return logical


def test_every_alarm_notifies_the_one_topic_that_mails_the_operator(synthesized):
    topic = _logical(synthesized, "AWS::SNS::Topic")
    (subscription,) = synthesized.props("AWS::SNS::Subscription")
    assert subscription == {"Endpoint": EMAIL, "Protocol": "email", "TopicArn": {"Ref": topic}}
    alarms = synthesized.resources("AWS::CloudWatch::Alarm")
    assert len(alarms) >= 3 * len(ROUTES) + 3 * len(JOBS) + 4
    for template, logical, alarm in alarms:
        for actions in ("AlarmActions", "OKActions"):
            (target,) = alarm["Properties"][actions]
            assert synthesized.parent_value(template, target) == {"Ref": topic}, logical


def test_each_route_function_alarms_on_its_own_5xx_answers_and_on_crashes(synthesized):
    """The edge answers every exception itself, so Lambda's Errors sees only crashes: 5xx has its own alarm."""
    functions = functions_by_description(synthesized)
    alarms_by_template: dict[str, list[dict]] = {}
    for template, _, alarm in synthesized.resources("AWS::CloudWatch::Alarm"):
        alarms_by_template.setdefault(template, []).append(alarm["Properties"])
    for route in ROUTES:
        template, logical, _ = functions[f"{route.method} {route.path}"]
        watched = {
            (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"], alarm["Threshold"])
            for alarm in alarms_by_template[template]
            if alarm.get("Dimensions") == [{"Name": FUNCTION_DIMENSION, "Value": {"Ref": logical}}]
        }
        assert watched >= {
            (METRICS_NAMESPACE, "Status5xx", "Sum", 1),
            ("AWS/Lambda", "Errors", "Sum", 1),
            ("AWS/Lambda", "Throttles", "Sum", 1),
        }, route
        environment = functions[f"{route.method} {route.path}"][2]["Properties"]["Environment"]["Variables"]
        assert environment["POWERTOOLS_METRICS_NAMESPACE"] == METRICS_NAMESPACE


def test_the_deploy_guide_counts_the_alarms_and_methods_the_template_has(synthesized):
    """docs/deploy.md's fixed cost is derived from what is deployed, so it cannot drift from the route table."""
    metrics = 0
    for props in synthesized.props("AWS::CloudWatch::Alarm"):
        metrics += sum(1 for m in props["Metrics"] if "MetricStat" in m) if "Metrics" in props else 1
    methods = len(synthesized.props("AWS::ApiGateway::Method"))
    guide = " ".join((config.ROOT / "docs" / "deploy.md").read_text().split())
    times = "\N{MULTIPLICATION SIGN}"
    assert f"{metrics} alarm metrics {times} $0.10 = ${metrics / 10:.2f}" in guide
    assert f"the route table's {len(ROUTES)} routes and {len(JOBS)} jobs" in guide
    assert f"5 metrics {times} {methods} methods {times} $0.30 = ${5 * methods * 0.30:.2f}" in guide


def test_jobs_run_one_at_a_time_fail_into_a_dead_letter_queue_and_raise_alarms(synthesized):
    functions = functions_by_description(synthesized)
    (queue,) = [logical for _, logical, _ in synthesized.resources("AWS::SQS::Queue") if logical.startswith("Jobs")]
    invoke_configs = {c["FunctionName"]["Ref"]: c for c in synthesized.props("AWS::Lambda::EventInvokeConfig")}
    targets = [t for rule in synthesized.props("AWS::Events::Rule") for t in rule["Targets"]]
    alarmed = {}
    for alarm in synthesized.props("AWS::CloudWatch::Alarm"):
        for dimension in alarm.get("Dimensions", []):
            if dimension["Name"] == "FunctionName" and isinstance(dimension["Value"], dict):
                alarmed.setdefault(dimension["Value"].get("Ref"), set()).add(alarm["MetricName"])
    for job in JOBS:
        template, logical, function = functions[job.summary]
        assert template == "parent"
        props = function["Properties"]
        assert "ReservedConcurrentExecutions" not in props  # opt-in: the lease keeps runs apart
        assert props["Timeout"] == config.JOB_TIMEOUT_SECONDS
        assert props["Environment"]["Variables"]["JOB_RESERVE_SECONDS"] == str(config.JOB_RESERVE_SECONDS)
        invoke = invoke_configs[logical]
        assert invoke["MaximumRetryAttempts"] == 0
        assert invoke["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": [queue, "Arn"]}
        (target,) = [t for t in targets if t["Arn"] == {"Fn::GetAtt": [logical, "Arn"]}]
        assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": [queue, "Arn"]}
        assert alarmed[logical] == {"Errors", "Throttles", "Duration"}
    depths = [a for a in synthesized.props("AWS::CloudWatch::Alarm") if a.get("Namespace") == "AWS/SQS"]
    assert {"Fn::GetAtt": [queue, "QueueName"]} in [depth["Dimensions"][0]["Value"] for depth in depths]


def test_reserved_concurrency_for_the_jobs_is_an_opt_in_context_value(tmp_path):
    reserved = Synthesized(tmp_path, ROUTES[:1], jobReservedConcurrency="1")
    functions = functions_by_description(reserved)
    for job in JOBS:
        assert functions[job.summary][2]["Properties"]["ReservedConcurrentExecutions"] == 1
    assert "ReservedConcurrentExecutions" not in functions["API key authorizer"][2]["Properties"]


def test_each_tenant_is_throttled_by_its_usage_plan_keyed_by_the_authorizer(synthesized):
    (api,) = synthesized.props("AWS::ApiGateway::RestApi")
    assert api["ApiKeySourceType"] == "AUTHORIZER"
    (plan,) = synthesized.props("AWS::ApiGateway::UsagePlan")
    assert plan["Throttle"] == {
        "RateLimit": config.DEFAULT_TENANT_RATE_PER_SECOND,
        "BurstLimit": config.DEFAULT_TENANT_BURST,
    }
    assert plan["ApiStages"][0]["Stage"] == config.STAGE_NAME
    (key,) = synthesized.props("AWS::ApiGateway::ApiKey")
    _, _, authorizer = functions_by_description(synthesized)["API key authorizer"]
    assert authorizer["Properties"]["Environment"]["Variables"]["DEFAULT_USAGE_KEY"] == key["Value"]
    assert key["Value"] == default_usage_key(synthesized.stack.stack_name)
    assert synthesized.props("AWS::ApiGateway::UsagePlanKey")


def test_the_powertools_layer_is_the_build_of_the_pinned_and_tested_version(synthesized):
    pinned = config.powertools_version()
    assert pinned == version("aws-lambda-powertools")  # the tests ran against the layer's version
    name = f"/aws/service/powertools/python/arm64/{config.PYTHON_RUNTIME}/{pinned}"
    (parameter,) = [
        logical
        for logical, p in synthesized.parent["Parameters"].items()
        if p["Type"] == "AWS::SSM::Parameter::Value<String>" and p["Default"] == name
    ]
    for template, _, function in synthesized.resources("AWS::Lambda::Function"):
        if function["Properties"].get("Description") == docs.DESCRIPTION:
            assert "Layers" not in function["Properties"]  # it answers a built page: no code of ours to load
            continue
        first = function["Properties"]["Layers"][0]
        assert synthesized.parent_value(template, first) == {"Ref": parameter}


def _secret_readers(synth, template: str, function: dict) -> set:
    """What each secretsmanager:GetSecretValue grant of the function's role names, as the parent gives it."""
    role = function["Properties"]["Role"]["Fn::GetAtt"][0]
    found = set()
    for _, _, policy in (r for r in synth.resources("AWS::IAM::Policy") if r[0] == template):
        if {"Ref": role} not in policy["Properties"]["Roles"]:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            listed = statement["Action"]
            if "secretsmanager:GetSecretValue" in ([listed] if isinstance(listed, str) else listed):
                found.add(json.dumps(synth.parent_value(template, statement["Resource"]), sort_keys=True))
    return found


def test_only_the_functions_that_page_get_the_cursor_secret_and_none_in_plain_configuration(synthesized):
    secret = _logical(synthesized, "AWS::SecretsManager::Secret")
    functions = functions_by_description(synthesized)
    paging = [route for route in ROUTES if pages(route)]
    assert paging and len(paging) < len(ROUTES)
    for route in ROUTES:
        template, _, function = functions[f"{route.method} {route.path}"]
        variables = function["Properties"]["Environment"]["Variables"]
        assert "CURSOR_SECRET" not in variables
        readers = _secret_readers(synthesized, template, function)
        if pages(route):
            assert synthesized.parent_value(template, variables["CURSOR_SECRET_ARN"]) == {"Ref": secret}, route
            assert readers == {json.dumps({"Ref": secret})}, route
        else:
            assert "CURSOR_SECRET_ARN" not in variables and readers == set(), route
    for job in (*JOBS, None):
        template, _, function = functions[job.summary if job else "API key authorizer"]
        assert _secret_readers(synthesized, template, function) == set()
    assert 'CURSOR_SECRET"' not in json.dumps(synthesized.templates)


def test_the_shared_api_gateway_logging_role_outlives_the_stack(synthesized):
    account = synthesized.resources("AWS::ApiGateway::Account")
    ((_, _, resource),) = account
    assert resource["DeletionPolicy"] == "Retain"
    role = resource["Properties"]["CloudWatchRoleArn"]["Fn::GetAtt"][0]
    assert synthesized.parent["Resources"][role]["DeletionPolicy"] == "Retain"


def test_names_derive_from_the_stack_so_two_stages_share_an_account(synthesized, tmp_path):
    staging = Synthesized(tmp_path, ROUTES[:2], stage="staging")
    for synth, stack_name in ((synthesized, "LoyaltyOffersApi"), (staging, "LoyaltyOffersApi-staging")):
        assert synth.stack.stack_name == stack_name
        (api,) = synth.props("AWS::ApiGateway::RestApi")
        (dashboard,) = synth.props("AWS::CloudWatch::Dashboard")
        (plan,) = synth.props("AWS::ApiGateway::UsagePlan")
        (key,) = synth.props("AWS::ApiGateway::ApiKey")
        assert api["Name"] == dashboard["DashboardName"] == stack_name
        assert plan["UsagePlanName"].startswith(stack_name + "-") and key["Value"].startswith(stack_name + "-")
    text = json.dumps(synthesized.templates)
    assert '"loyalty-offers-api"' not in text  # no fixed name left that two stages would fight over


def _rendered(message: str, authorizer_error: str = "-") -> str:
    """The access-log line API Gateway writes: variables replaced, messageString quoted by the gateway."""
    line = access_log_format().replace("$context.error.messageString", json.dumps(message))
    line = line.replace("$context.authorizer.error", authorizer_error)
    return re.sub(r"\$context\.[A-Za-z.]+", "-", line)


@pytest.mark.parametrize(
    "message",
    ["Unauthorized", 'He said "no"', "back\\slash", "line\nbreak", '{"json":1}', "", "tab\there ünïcode"],
)
def test_the_access_log_is_json_for_any_error_message(synthesized, message):
    (stage,) = synthesized.props("AWS::ApiGateway::Stage")
    assert stage["AccessLogSetting"]["Format"] == access_log_format()
    line = json.loads(_rendered(message))
    assert line["error"] == message
    for field in ("integrationLatency", "authorizerError", "xrayTraceId", "keyId", "principal", "tenant"):
        assert field in line
    assert ACCESS_LOG_FIELDS["integrationLatency"] == "$context.integrationLatency"
    assert ACCESS_LOG_FIELDS["xrayTraceId"] == "$context.xrayTraceId"


def test_tracing_on_detailed_per_method_metrics_off_as_decided(synthesized):
    (stage,) = synthesized.props("AWS::ApiGateway::Stage")
    assert stage["TracingEnabled"] is True
    settings, *public = stage["MethodSettings"]
    # the public token route (no authorizer, no tenant plan) has its own, tighter limit (docs/deploy.md)
    assert [(s["HttpMethod"], s["ResourcePath"]) for s in public] == [("POST", "/~1oauth~1token")]
    for token_route in public:
        assert token_route["MetricsEnabled"] is False
        assert token_route["ThrottlingRateLimit"] == config.TOKEN_THROTTLE_RATE_PER_SECOND
        assert token_route["ThrottlingBurstLimit"] == config.TOKEN_THROTTLE_BURST <= config.METHOD_THROTTLE_BURST
    assert settings["MetricsEnabled"] is False
    # `*/*` applies to each method on its own: the award route alone must reach the target
    assert (settings["HttpMethod"], settings["ResourcePath"]) == ("*", "/*")
    assert settings["ThrottlingRateLimit"] == config.METHOD_THROTTLE_RATE_PER_SECOND >= config.TARGET_AWARDS_PER_SECOND
    assert settings["ThrottlingBurstLimit"] == config.METHOD_THROTTLE_BURST
