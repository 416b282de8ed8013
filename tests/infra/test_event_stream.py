"""The event stream in the template (infra/constructs/event_stream.py): the table's stream with both images, the
event builder's function on it through an event source mapping (batches, bisect-on-error, retries, an SQS
dead-letter queue), its least-privilege role, the stack's event bus, and the alarms."""

import pytest

from infra.constructs import event_stream
from infra.permissions import STREAM
from tests.infra.synth import dynamo_actions, functions_by_description

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("cdk")]

DESCRIPTION = "Event builder: the table's change stream to events"


def test_the_table_streams_new_and_old_images(synthesized):
    ((_, _, table),) = synthesized.resources("AWS::DynamoDB::GlobalTable")
    assert table["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_the_builder_reads_the_stream_in_batches_halving_and_retrying_then_into_a_dead_letter_queue(synthesized):
    template, logical, function = functions_by_description(synthesized)[DESCRIPTION]
    assert template == "parent"
    (mapping,) = [
        m for m in synthesized.props("AWS::Lambda::EventSourceMapping") if m["FunctionName"] == {"Ref": logical}
    ]
    assert mapping["EventSourceArn"]["Fn::GetAtt"][1] == "StreamArn"
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert mapping["BatchSize"] == event_stream.BATCH_SIZE
    assert mapping["MaximumBatchingWindowInSeconds"] == event_stream.BATCH_WINDOW_SECONDS
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["MaximumRetryAttempts"] == event_stream.RETRY_ATTEMPTS
    queues = {name for _, name, _ in synthesized.resources("AWS::SQS::Queue")}
    destination = mapping["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"]
    assert destination[0] in queues and destination[1] == "Arn"
    variables = function["Properties"]["Environment"]["Variables"]
    assert "EVENT_BUS_NAME" in variables and "TABLE_NAME" in variables


def test_the_builder_may_read_the_table_write_events_put_on_the_bus_and_nothing_else(synthesized):
    template, _, function = functions_by_description(synthesized)[DESCRIPTION]
    reads_stream = {
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
    }
    assert dynamo_actions(synthesized, template, function) == set(STREAM) | reads_stream
    (bus,) = synthesized.resources("AWS::Events::EventBus")
    granted = [
        statement
        for policy in synthesized.props("AWS::IAM::Policy")
        for statement in policy["PolicyDocument"]["Statement"]
        if statement["Action"] == "events:PutEvents"
    ]
    assert granted and all(s["Resource"]["Fn::GetAtt"][0] == bus[1] for s in granted)


def test_the_dead_letter_queue_the_errors_and_a_late_stream_raise_alarms(synthesized):
    alarms = synthesized.props("AWS::CloudWatch::Alarm")
    names = {(a.get("Namespace"), a.get("MetricName")) for a in alarms}
    assert ("AWS/Lambda", "IteratorAge") in names
    late = [a for a in alarms if a.get("MetricName") == "IteratorAge"]
    assert late[0]["Threshold"] == event_stream.LATE_MS
    queues = [a for a in alarms if a.get("Namespace") == "AWS/SQS"]
    # the jobs', the event builder's, the webhooks' and the import workflow's dead-letter queues; webhooks' age
    assert len(queues) == 5
