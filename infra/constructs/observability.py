"""Alarms on the API (5xx, throttled calls, latency) and one dashboard for the API and the table."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from infra.constructs.api import LoyaltyApi
from infra.constructs.lambdas import alarm


class Monitoring(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, api: LoyaltyApi, table: dynamodb.ITableV2) -> None:
        super().__init__(scope, construct_id)
        five_minutes = Duration.minutes(5)
        server_errors = api.metric("5XXError")
        client_errors = api.metric("4XXError")
        latency = api.metric("Latency", "p99")
        throttled = cloudwatch.MathExpression(
            expression="reads + writes",
            using_metrics={
                "reads": table.metric("ReadThrottleEvents", period=five_minutes, statistic="Sum"),
                "writes": table.metric("WriteThrottleEvents", period=five_minutes, statistic="Sum"),
            },
            label="DynamoDB throttle events",
            period=five_minutes,
        )
        alarm(self, "Api5xx", server_errors, "API answered 5xx", threshold=1, periods=1)
        alarm(self, "ApiLatency", latency, "API p99 above 2 s", threshold=2000, periods=3)
        widgets: list[cloudwatch.IWidget] = [
            cloudwatch.GraphWidget(title="API errors", left=[server_errors, client_errors]),
            cloudwatch.GraphWidget(title="API latency p99", left=[latency]),
        ]
        alarm(self, "TableThrottles", throttled, "DynamoDB throttled requests", threshold=1, periods=1)
        widgets.append(cloudwatch.GraphWidget(title="DynamoDB throttles", left=[throttled]))
        cloudwatch.Dashboard(self, "Dashboard", dashboard_name="loyalty-offers-api", widgets=[widgets])
