"""Webhook delivery and the expiring-soon job in the template (infra/constructs/webhooks.py, jobs.py): the encrypted
`WebhookDeliveries` queue with its redrive to a dead-letter queue, the delivery function on it (batches,
ReportBatchItemFailures, a maximum concurrency), sqs:SendMessage for what enqueues, least-privilege roles, the
alarms; the daily notify-expiring job with the event bus."""

from typing import Any

import pytest
from loyalty.routes import JOBS, QUEUES_DELIVERIES, ROUTES

from infra.constructs import webhooks
from infra.permissions import DELIVERY, JOB
from tests.infra.synth import Synthesized, dynamo_actions, functions_by_description

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("cdk")]

DESCRIPTION = webhooks.DESCRIPTION
RETRY = [f"{r.method} {r.path}" for r in ROUTES if r.function in QUEUES_DELIVERIES]  # in a nested stack
(NOTIFY,) = [job for job in JOBS if job.function == "notify_expiring"]


def _queue(synthesized) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (logical, props["Properties"])
        for _, logical, props in synthesized.resources("AWS::SQS::Queue")
        if "RedrivePolicy" in props["Properties"]
    ]
    return found


def _statements(synthesized, function) -> list[dict[str, Any]]:
    role = function["Properties"]["Role"]["Fn::GetAtt"][0]
    return [
        statement
        for _, _, policy in synthesized.resources("AWS::IAM::Policy")
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _actions(statement) -> set[str]:
    listed = statement["Action"]
    return {listed} if isinstance(listed, str) else set(listed)


def test_the_queue_is_encrypted_outlasts_the_function_and_redrives_to_a_dead_letter_queue(synthesized):
    logical, queue = _queue(synthesized)
    assert queue["SqsManagedSseEnabled"] is True
    _, _, function = functions_by_description(synthesized)[DESCRIPTION]
    assert queue["VisibilityTimeout"] == webhooks.VISIBILITY_TIMEOUT_SECONDS >= 6 * function["Properties"]["Timeout"]
    assert function["Properties"]["Timeout"] > webhooks.RECEIVER_TIMEOUT_SECONDS
    redrive = queue["RedrivePolicy"]
    assert redrive["maxReceiveCount"] == webhooks.MAX_RECEIVES <= 10
    dead = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
    queues = {name: props for _, name, props in synthesized.resources("AWS::SQS::Queue")}
    assert queues[dead]["Properties"]["SqsManagedSseEnabled"] is True
    policies = [p for p in synthesized.props("AWS::SQS::QueuePolicy") if {"Ref": logical} in p["Queues"]]
    assert policies, "SSL only"


def test_the_delivery_function_reads_the_queue_in_bounded_batches_reporting_each_failure(synthesized):
    template, logical, function = functions_by_description(synthesized)[DESCRIPTION]
    assert template == "parent"
    queue, _ = _queue(synthesized)
    (mapping,) = [
        m for m in synthesized.props("AWS::Lambda::EventSourceMapping") if m["FunctionName"] == {"Ref": logical}
    ]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [queue, "Arn"]}
    assert mapping["BatchSize"] == webhooks.BATCH_SIZE
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": webhooks.MAX_CONCURRENCY}
    assert "ReservedConcurrentExecutions" not in function["Properties"]  # opt-in (see the next test)
    variables = function["Properties"]["Environment"]["Variables"]
    assert variables[webhooks.QUEUE_URL_VARIABLE] == {"Ref": queue} and "TABLE_NAME" in variables


def test_the_maximum_is_a_context_value_and_a_reservation_an_opt_in_at_least_the_maximum(tmp_path):
    reserved = Synthesized(tmp_path, ROUTES[:1], webhookMaxConcurrency="500", webhookReservedConcurrency="500")
    _, logical, function = functions_by_description(reserved)[DESCRIPTION]
    assert function["Properties"]["ReservedConcurrentExecutions"] == 500
    (mapping,) = [m for m in reserved.props("AWS::Lambda::EventSourceMapping") if m["FunctionName"] == {"Ref": logical}]
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": 500}
    with pytest.raises(ValueError, match="webhookReservedConcurrency"):
        Synthesized(tmp_path / "low", ROUTES[:1], webhookReservedConcurrency=str(webhooks.MAX_CONCURRENCY - 1))
    with pytest.raises(ValueError, match="webhookMaxConcurrency"):
        Synthesized(tmp_path / "high", ROUTES[:1], webhookMaxConcurrency="1001")


def test_least_privilege_the_table_for_deliveries_and_send_message_on_the_queue_alone(synthesized):
    functions = functions_by_description(synthesized)
    template, _, delivery = functions[DESCRIPTION]
    assert dynamo_actions(synthesized, template, delivery) == set(DELIVERY)
    queue, _ = _queue(synthesized)
    builder = functions["Event builder: the table's change stream to events"]
    job = functions[NOTIFY.summary]
    for _, _, function in (functions[DESCRIPTION], builder, job):
        arn = {"Fn::GetAtt": [queue, "Arn"]}
        sends = [
            s for s in _statements(synthesized, function) if s["Resource"] == arn and "sqs:SendMessage" in _actions(s)
        ]
        assert sends == [{"Action": "sqs:SendMessage", "Effect": "Allow", "Resource": arn}]
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables[webhooks.QUEUE_URL_VARIABLE] == {"Ref": queue}
    others = [
        f
        for d, f in functions.items()
        if d not in {DESCRIPTION, NOTIFY.summary, builder[2]["Properties"]["Description"], *RETRY}
    ]
    for _, _, function in others:
        assert not [s for s in _statements(synthesized, function) if s["Resource"] == {"Fn::GetAtt": [queue, "Arn"]}]


def test_the_dead_letters_the_oldest_message_and_the_functions_errors_and_throttles_raise_alarms(synthesized):
    _, logical, _ = functions_by_description(synthesized)[DESCRIPTION]
    queue, props = _queue(synthesized)
    dead = props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
    alarms = synthesized.props("AWS::CloudWatch::Alarm")
    on_queue = {
        (a["MetricName"], a["Dimensions"][0]["Value"]["Fn::GetAtt"][0], a["Threshold"])
        for a in alarms
        if a.get("Namespace") == "AWS/SQS"
    }
    assert ("ApproximateNumberOfMessagesVisible", dead, 1) in on_queue
    assert ("ApproximateAgeOfOldestMessage", queue, webhooks.OLDEST_MESSAGE_SECONDS) in on_queue
    on_function = {
        a["MetricName"]
        for a in alarms
        for d in a.get("Dimensions", [])
        if d["Name"] == "FunctionName" and d["Value"] == {"Ref": logical}
    }
    assert on_function == {"Errors", "Throttles"}
    assert all(a["AlarmActions"] and a["OKActions"] for a in alarms)


def test_the_expiring_soon_job_runs_daily_and_may_put_events_on_the_bus_alone(synthesized):
    functions = functions_by_description(synthesized)
    template, logical, function = functions[NOTIFY.summary]
    assert template == "parent" and NOTIFY.publishes and NOTIFY.schedule_minutes == 24 * 60
    assert dynamo_actions(synthesized, template, function) == set(JOB)
    (rule,) = [
        r
        for r in synthesized.props("AWS::Events::Rule")
        if {"Fn::GetAtt": [logical, "Arn"]} in [t["Arn"] for t in r["Targets"]]
    ]
    assert rule["ScheduleExpression"] == "rate(1 day)"
    (bus,) = synthesized.resources("AWS::Events::EventBus")
    assert function["Properties"]["Environment"]["Variables"]["EVENT_BUS_NAME"] == {"Ref": bus[1]}
    puts = [s for s in _statements(synthesized, function) if "events:PutEvents" in _actions(s)]
    assert puts and all(s["Resource"] == {"Fn::GetAtt": [bus[1], "Arn"]} for s in puts)
    for job in JOBS:
        if not job.publishes:
            _, _, other = functions[job.summary]
            assert "EVENT_BUS_NAME" not in other["Properties"]["Environment"]["Variables"]
            assert not [s for s in _statements(synthesized, other) if "events:PutEvents" in _actions(s)]
    (invoke,) = [
        c for c in synthesized.props("AWS::Lambda::EventInvokeConfig") if c["FunctionName"] == {"Ref": logical}
    ]
    assert invoke["MaximumEventAgeInSeconds"] == 6 * 3600


def test_the_retry_route_may_queue_an_attempt(synthesized):
    """The route's function lives in a nested stack: the queue's ARN and URL reach it as stack parameters."""
    (description,) = RETRY
    _, _, function = functions_by_description(synthesized)[description]
    sends = [s for s in _statements(synthesized, function) if "sqs:SendMessage" in _actions(s)]
    assert len(sends) == 1 and sends[0]["Effect"] == "Allow" and "Ref" in sends[0]["Resource"]
    assert webhooks.QUEUE_URL_VARIABLE in function["Properties"]["Environment"]["Variables"]
