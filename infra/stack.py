"""The whole service in one stack: table, API, one function per route, scheduled jobs, monitoring."""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ssm as ssm
from constructs import Construct
from loyalty.routes import (
    AUTHORIZER_FUNCTION,
    JOBS,
    QUEUES_DELIVERIES,
    ROUTES,
    SIGNS_REPORTS,
    SIGNS_UPLOADS,
    Job,
    Route,
)

from infra import config, permissions
from infra.constructs.api import LoyaltyApi, default_usage_key
from infra.constructs.docs import ReferencePage
from infra.constructs.event_stream import EventStream
from infra.constructs.imports import ImportWorkflow
from infra.constructs.jobs import ScheduledJobs
from infra.constructs.lambdas import build_function, code_layer
from infra.constructs.observability import Monitoring, alarm_topic
from infra.constructs.routes import RouteFunctions, group_routes
from infra.constructs.table import LoyaltyTable
from infra.constructs.webhooks import WebhookDeliveries


class LoyaltyStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        routes: tuple[Route, ...] = ROUTES,
        jobs: tuple[Job, ...] = JOBS,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        table = LoyaltyTable(self, "Data").table
        topic = alarm_topic(self, "Alarms", self.node.try_get_context("alarmEmail"))
        layers: list[lambda_.ILayerVersion] = [
            lambda_.LayerVersion.from_layer_version_arn(self, "Powertools", self._powertools_layer_arn()),
            code_layer(self),
        ]
        # Signs nextToken cursors: one secret for the functions that page, read once per container.
        cursor_secret = secretsmanager.Secret(
            self,
            "CursorSecret",
            description="Signs the API's nextToken cursors",
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=48, exclude_punctuation=True),
        )
        environment = {"TABLE_NAME": table.table_name}
        authorizer = build_function(
            self,
            "Authorizer",
            function=AUTHORIZER_FUNCTION,
            table=table,
            layers=layers,
            actions=permissions.AUTHORIZER,
            environment={**environment, "DEFAULT_USAGE_KEY": default_usage_key(self.stack_name)},
            description="API key authorizer",
            timeout_seconds=config.AUTHORIZER_TIMEOUT_SECONDS,
        )
        api = LoyaltyApi(self, "Http", authorizer_function=authorizer)
        resource_ids = {route.path: api.resource_id(route.path) for route in routes}
        nested = [
            RouteFunctions(
                self,
                stack_id,
                routes=grouped,
                resource_ids=resource_ids,
                rest_api_id=api.rest_api_id,
                authorizer_id=api.authorizer.ref,
                table=table,
                layers=layers,
                environment=environment,
                secret=cursor_secret,
                topic=topic,
            )
            for stack_id, grouped in group_routes(routes).items()
        ]
        stream = EventStream(self, "Events", table=table, layers=layers, environment=environment, topic=topic)
        scheduled = ScheduledJobs(
            self, "Jobs", jobs=jobs, table=table, layers=layers, environment=environment, topic=topic, bus=stream.bus
        )
        webhooks = WebhookDeliveries(self, "Webhooks", table=table, layers=layers, environment=environment, topic=topic)
        for gives_events in (stream.function, *(scheduled.functions[j.function] for j in jobs if j.publishes)):
            webhooks.grant_enqueue(gives_events)  # what stores events enqueues their deliveries
        for routes_stack in nested:
            for name, function in routes_stack.functions.items():
                if name in QUEUES_DELIVERIES:
                    webhooks.grant_enqueue(function)  # a retry by hand queues the attempt
        imports = ImportWorkflow(self, "Imports", table=table, layers=layers, environment=environment, topic=topic)
        for routes_stack in nested:
            for name, function in routes_stack.functions.items():
                if name in SIGNS_UPLOADS:
                    imports.grant_uploads(function)  # POST /imports signs the upload's PUT URL
                if name in SIGNS_REPORTS:
                    imports.grant_reports(function)  # GET /imports/{importId} signs the report's URL
        Monitoring(self, "Monitoring", api=api, table=table, jobs=scheduled.functions, topic=topic)
        reference = ReferencePage(self, "Reference", api=api)
        api.deploy(
            [*nested, reference.method]
        )  # last: the deployment's id digests every stage-shaping resource built above
        CfnOutput(self, "ApiUrl", value=api.url(), description="Base URL of the API")
        CfnOutput(self, "ReferenceUrl", value=f"{api.url()}docs", description="The API reference page")
        CfnOutput(self, "ApiId", value=api.rest_api_id, description="For `loyalty tenant limits --api-id`")
        CfnOutput(self, "TableName", value=table.table_name, description="The single DynamoDB table")
        CfnOutput(self, "AlarmTopic", value=topic.topic_arn, description="Every alarm notifies this topic")
        CfnOutput(self, "JobDeadLetters", value=scheduled.dead_letters.queue_url, description="Failed job runs")
        CfnOutput(self, "EventBus", value=stream.bus.event_bus_name, description="Every event (§13), for rules")
        CfnOutput(
            self, "EventDeadLetters", value=stream.dead_letters.queue_url, description="Stream batches that failed"
        )
        CfnOutput(self, "ImportBucket", value=imports.bucket.bucket_name, description="Import files and reports")
        CfnOutput(
            self, "ImportWorkflow", value=imports.machine.state_machine_arn, description="The import state machine"
        )
        CfnOutput(self, "WebhookQueue", value=webhooks.queue.queue_url, description="Webhook deliveries waiting")
        CfnOutput(
            self,
            "WebhookDeadLetters",
            value=webhooks.dead_letters.queue_url,
            description="Webhook delivery messages the function failed on",
        )

    def _powertools_layer_arn(self) -> str:
        """The public Powertools layer of exactly the pinned library version, from AWS's SSM parameter."""
        override = self.node.try_get_context("powertoolsLayerArn")
        if override:
            return str(override)
        return ssm.StringParameter.value_for_string_parameter(self, config.powertools_layer_parameter())
