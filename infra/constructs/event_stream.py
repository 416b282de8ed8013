"""The event stream (§13): the table's change stream → the event builder's function → events stored in the
table and put on the stack's EventBridge bus, for AWS-native consumers' rules.

The function reads the stream through an event source mapping: batches of up to BATCH_SIZE records gathered for
up to BATCH_WINDOW_SECONDS, a failing batch halved (bisect-on-error) and retried RETRY_ATTEMPTS times, then what
still fails described in the SQS dead-letter queue (its records stay in the stream 24 h for a replay). Alarms:
any message in that queue, the function's errors, and the iterator age (events late by more than a minute).
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sns as sns
from constructs import Construct
from loyalty.routes import STREAM_FUNCTION

from infra.constructs.lambdas import alarm, build_function, dead_letters
from infra.permissions import STREAM

BATCH_SIZE = 100
BATCH_WINDOW_SECONDS = 1
RETRY_ATTEMPTS = 5
PARALLELIZATION = 4  # concurrent batches per stream shard (order is not promised, §13); 4: docs/deploy.md, 10k/s
LATE_MS = 60_000  # the iterator-age alarm's threshold


class EventStream(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        table: dynamodb.TableV2,
        layers: list[lambda_.ILayerVersion],
        environment: dict[str, str],
        topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bus = events.EventBus(self, "Bus", description="Loyalty API events (§13), one per state change")
        self.dead_letters = dead_letters(
            self,
            "Stream records the event builder failed on after its retries: read the message in its dead-letter queue",
            topic=topic,
        )
        self.function = build_function(
            self,
            "BuildEvents",
            function=STREAM_FUNCTION,
            table=table,
            layers=layers,
            actions=STREAM,
            environment={**environment, "EVENT_BUS_NAME": self.bus.event_bus_name},
            description="Event builder: the table's change stream to events",
            timeout_seconds=60,
        )
        self.bus.grant_put_events_to(self.function)
        stream_arn = table.table_stream_arn
        assert stream_arn is not None, "the table has no stream"
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
                resources=[stream_arn],
            )
        )
        self.function.add_to_role_policy(iam.PolicyStatement(actions=["dynamodb:ListStreams"], resources=["*"]))
        self.mapping = lambda_.EventSourceMapping(
            self,
            "FromStream",
            target=self.function,
            event_source_arn=stream_arn,
            starting_position=lambda_.StartingPosition.TRIM_HORIZON,
            batch_size=BATCH_SIZE,
            max_batching_window=Duration.seconds(BATCH_WINDOW_SECONDS),
            bisect_batch_on_error=True,
            retry_attempts=RETRY_ATTEMPTS,
            parallelization_factor=PARALLELIZATION,
            on_failure=sources.SqsDlq(self.dead_letters),
        )
        alarm(
            self,
            "Errors",
            self.function.metric_errors(period=Duration.minutes(5)),
            "The event builder failed on a batch (retried, halved)",
            topic=topic,
        )
        alarm(
            self,
            "Late",
            cloudwatch.Metric(
                namespace="AWS/Lambda",
                metric_name="IteratorAge",
                dimensions_map={"FunctionName": self.function.function_name},
                statistic="Maximum",
                period=Duration.minutes(5),
            ),
            "Events are more than a minute behind the table's changes",
            topic=topic,
            threshold=LATE_MS,
        )
