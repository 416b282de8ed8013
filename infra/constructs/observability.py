"""The alarm topic every alarm notifies, alarms on the API and the table, and one dashboard."""

from __future__ import annotations

from aws_cdk import Annotations, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.constructs.api import LoyaltyApi
from infra.constructs.lambdas import alarm


def alarm_topic(scope: Construct, construct_id: str, email: str | None) -> sns.Topic:
    """One topic for every alarm; `-c alarmEmail=ops@example.com` subscribes that address."""
    topic = sns.Topic(scope, construct_id, display_name=f"{Stack.of(scope).stack_name} alarms", enforce_ssl=True)
    if email:
        topic.add_subscription(subscriptions.EmailSubscription(email))
    else:
        Annotations.of(topic).add_warning_v2(
            "loyalty:no-alarm-email", "No -c alarmEmail=…: alarms publish to the topic but nobody is subscribed."
        )
    return topic


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api: LoyaltyApi,
        table: dynamodb.ITableV2,
        jobs: dict[str, lambda_.Function],
        topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        five_minutes = Duration.minutes(5)
        server_errors = api.metric("5XXError")
        client_errors = api.metric("4XXError")
        calls = api.metric("Count")
        latency = api.metric("Latency", "p99")
        integration_latency = api.metric("IntegrationLatency", "p99")
        throttled = cloudwatch.MathExpression(
            expression="reads + writes",
            using_metrics={
                "reads": table.metric("ReadThrottleEvents", period=five_minutes, statistic="Sum"),
                "writes": table.metric("WriteThrottleEvents", period=five_minutes, statistic="Sum"),
            },
            label="DynamoDB throttle events",
            period=five_minutes,
        )
        alarm(self, "Api5xx", server_errors, "API answered 5xx", topic=topic, threshold=1, periods=1)
        alarm(self, "ApiLatency", latency, "API p99 above 2 s", topic=topic, threshold=2000, periods=3)
        alarm(self, "TableThrottles", throttled, "DynamoDB throttled requests", topic=topic, threshold=1, periods=1)
        consumed = [
            table.metric(name, period=five_minutes, statistic="Sum")
            for name in ("ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits")
        ]
        widgets: list[cloudwatch.IWidget] = [
            cloudwatch.GraphWidget(title="API calls and errors", left=[calls], right=[server_errors, client_errors]),
            cloudwatch.GraphWidget(title="API latency p99 (total, integration)", left=[latency, integration_latency]),
            cloudwatch.GraphWidget(title="DynamoDB throttles", left=[throttled]),
            cloudwatch.GraphWidget(title="DynamoDB consumed RRU / WRU", left=consumed),
            cloudwatch.GraphWidget(
                title="Scheduled jobs: duration max (ms) and errors",
                left=[function.metric_duration(statistic=cloudwatch.Stats.MAXIMUM) for function in jobs.values()],
                right=[function.metric_errors() for function in jobs.values()],
            ),
        ]
        cloudwatch.Dashboard(self, "Dashboard", dashboard_name=Stack.of(self).stack_name, widgets=[widgets])
