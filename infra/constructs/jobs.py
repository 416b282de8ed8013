"""Scheduled jobs: one function per job from the route table's JOBS, run by an EventBridge schedule."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from constructs import Construct
from loyalty.routes import Job

from infra import config
from infra.constructs.lambdas import build_function, construct_name


class ScheduledJobs(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        jobs: tuple[Job, ...],
        table: dynamodb.ITableV2,
        layers: list[lambda_.ILayerVersion],
        environment: dict[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.functions: dict[str, lambda_.Function] = {}
        for job in jobs:
            name = construct_name(job.function)
            function = build_function(
                self,
                name,
                function=job.function,
                table=table,
                layers=layers,
                writes=True,
                environment=environment,
                description=job.summary,
                timeout_seconds=config.JOB_TIMEOUT_SECONDS,
            )
            events.Rule(
                self,
                f"{name}Schedule",
                schedule=events.Schedule.rate(Duration.minutes(job.schedule_minutes)),
                targets=[targets.LambdaFunction(function, retry_attempts=2)],
            )
            self.functions[job.function] = function
