"""The whole service in one stack: table, API, one function per route, scheduled jobs, monitoring."""

from __future__ import annotations

from aws_cdk import Aws, CfnOutput, Fn, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct
from loyalty.routes import AUTHORIZER_FUNCTION, JOBS, ROUTES, Job, Route

from infra import config
from infra.constructs.api import LoyaltyApi
from infra.constructs.jobs import ScheduledJobs
from infra.constructs.lambdas import build_function, code_layer
from infra.constructs.observability import Monitoring
from infra.constructs.routes import RouteFunctions
from infra.constructs.table import LoyaltyTable


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
        layer_version = self.node.try_get_context("powertoolsLayerVersion") or config.POWERTOOLS_LAYER_VERSION
        layers: list[lambda_.ILayerVersion] = [
            lambda_.LayerVersion.from_layer_version_arn(
                self, "Powertools", config.powertools_layer_arn(Aws.REGION, str(layer_version))
            ),
            code_layer(self),
        ]
        environment = {
            "TABLE_NAME": table.table_name,
            # Signs nextToken cursors; the stack's UUID is unique per deployment and never shown to clients.
            "CURSOR_SECRET": Fn.select(2, Fn.split("/", Aws.STACK_ID)),
        }
        authorizer = build_function(
            self,
            "Authorizer",
            function=AUTHORIZER_FUNCTION,
            table=table,
            layers=layers,
            writes=False,
            environment=environment,
            description="API key authorizer",
        )
        api = LoyaltyApi(self, "Http", authorizer_function=authorizer)
        resource_ids = {route.path: api.resource_id(route.path) for route in routes}
        nested = []
        step = config.ROUTES_PER_NESTED_STACK
        for index in range(0, len(routes), step):
            nested.append(
                RouteFunctions(
                    self,
                    f"Routes{index // step + 1}",
                    routes=list(routes[index : index + step]),
                    resource_ids=resource_ids,
                    rest_api_id=api.rest_api_id,
                    authorizer_id=api.authorizer.ref,
                    table=table,
                    layers=layers,
                    environment=environment,
                )
            )
        api.deploy(routes, nested)
        ScheduledJobs(self, "Jobs", jobs=jobs, table=table, layers=layers, environment=environment)
        Monitoring(self, "Monitoring", api=api, table=table)
        CfnOutput(self, "ApiUrl", value=api.url(), description="Base URL of the API")
        CfnOutput(self, "TableName", value=table.table_name, description="The single DynamoDB table")
