"""Scheduled jobs: one function per job from the route table's JOBS, run by an EventBridge schedule.

Each job runs one at a time (a lease item in the table, loyalty/repository/leases.py: no reserved
concurrency, which Lambda refuses on accounts with little unreserved concurrency and so rolls the
whole stack back; `-c jobReservedConcurrency=1` reserves it as well, opt-in), stops before its
timeout and is resumed by the next run; a run that fails (or cannot be delivered) lands in the jobs' dead-letter queue.
Alarms: errors, throttles, a backlog (runs that use their whole time budget, run after run) and
any message in the dead-letter queue. A job that gives events itself (`Job.publishes`: the daily expiring-soon
notices) gets the stack's event bus (EVENT_BUS_NAME) and events:PutEvents on that bus only.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_sns as sns
from constructs import Construct
from loyalty.routes import Job

from infra import config
from infra.constructs.lambdas import alarm, build_function, construct_name, dead_letters
from infra.context import reservation
from infra.permissions import JOB

BACKLOG_RUNS = 3
MAX_EVENT_AGE_MINUTES = 6 * 60  # Lambda's limit for an async invocation's age
ALARM_WINDOW_MINUTES = 24 * 60  # CloudWatch: an alarm evaluates at most a day of periods
RESERVED_CONCURRENCY_CONTEXT = "jobReservedConcurrency"


def reserved_concurrency(scope: Construct) -> int | None:
    """`-c jobReservedConcurrency=N` reserves N for each job; off by default (the lease keeps runs apart)."""
    return reservation(scope, RESERVED_CONCURRENCY_CONTEXT)


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
        topic: sns.ITopic,
        bus: events.IEventBus | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.functions: dict[str, lambda_.Function] = {}
        self.dead_letters = dead_letters(
            self,
            "A scheduled job failed or could not be started: read the message in the jobs' dead-letter queue",
            topic=topic,
        )
        for job in jobs:
            name = construct_name(job.function)
            variables = {**environment, "JOB_RESERVE_SECONDS": str(config.JOB_RESERVE_SECONDS)}
            if job.publishes:
                assert bus is not None, f"{job.name} puts events on the bus: the stack passes it"
                variables["EVENT_BUS_NAME"] = bus.event_bus_name
            function = build_function(
                self,
                name,
                function=job.function,
                table=table,
                layers=layers,
                actions=JOB,
                environment=variables,
                description=job.summary,
                timeout_seconds=config.JOB_TIMEOUT_SECONDS,
                reserved_concurrency=reserved_concurrency(self),
                memory_mb=config.JOB_MEMORY_MB,
            )
            if job.publishes and bus is not None:
                bus.grant_put_events_to(function)
            # A failed run is not retried at once: the next scheduled run resumes where it stopped.
            function.configure_async_invoke(
                retry_attempts=0,
                max_event_age=Duration.minutes(min(job.schedule_minutes, MAX_EVENT_AGE_MINUTES)),
                on_failure=destinations.SqsDestination(self.dead_letters),
            )
            events.Rule(
                self,
                f"{name}Schedule",
                schedule=events.Schedule.rate(Duration.minutes(job.schedule_minutes)),
                targets=[targets.LambdaFunction(function, retry_attempts=2, dead_letter_queue=self.dead_letters)],
            )
            self._alarms(name, job, function, topic)
            self.functions[job.function] = function

    def _alarms(self, name: str, job: Job, function: lambda_.Function, topic: sns.ITopic) -> None:
        period = Duration.minutes(job.schedule_minutes)
        alarm(self, f"{name}Errors", function.metric_errors(period=period), f"{job.name}: a run failed", topic=topic)
        alarm(
            self,
            f"{name}Throttles",
            function.metric_throttles(period=period),
            f"{job.name}: a run could not start (Lambda concurrency exhausted, or the opt-in reservation is busy)",
            topic=topic,
        )
        budget_ms = (config.JOB_TIMEOUT_SECONDS - config.JOB_RESERVE_SECONDS - 30) * 1000
        runs = max(1, min(BACKLOG_RUNS, ALARM_WINDOW_MINUTES // job.schedule_minutes))  # a daily job: its one run
        alarm(
            self,
            f"{name}Backlog",
            function.metric_duration(period=period, statistic=cloudwatch.Stats.MAXIMUM),
            f"{job.name}: {runs} run(s) in a row used their whole time budget; the due backlog is not shrinking",
            topic=topic,
            threshold=budget_ms,
            periods=runs,
        )
