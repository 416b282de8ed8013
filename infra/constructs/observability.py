"""Alarms on the API (5xx, throttled calls, latency) and one dashboard for the API and the table."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from infra.constructs.api import LoyaltyApi


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
        cloudwatch.Alarm(
            self,
            "Api5xx",
            metric=server_errors,
            threshold=1,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description="API answered 5xx",
        )
        cloudwatch.Alarm(
            self,
            "ApiLatency",
            metric=latency,
            threshold=2000,
            evaluation_periods=3,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description="API p99 above 2 s",
        )
        widgets: list[cloudwatch.IWidget] = [
            cloudwatch.GraphWidget(title="API errors", left=[server_errors, client_errors]),
            cloudwatch.GraphWidget(title="API latency p99", left=[latency]),
        ]
        cloudwatch.Alarm(
            self,
            "TableThrottles",
            metric=throttled,
            threshold=1,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description="DynamoDB throttled requests",
        )
        widgets.append(cloudwatch.GraphWidget(title="DynamoDB throttles", left=[throttled]))
        cloudwatch.Dashboard(self, "Dashboard", dashboard_name="loyalty-offers-api", widgets=[widgets])
