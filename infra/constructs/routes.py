"""Nested stacks of route functions: for each route its function, method, invoke permission and alarms.

A route's nested stack is chosen by a hash of its operation (method and path), never by its place
in the route table: adding or removing a route leaves every other method where it is, so an
update never creates a method in one nested stack while deleting it from another.
"""

from __future__ import annotations

import hashlib
from typing import Any

from aws_cdk import Aws, NestedStack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from constructs import Construct
from loyalty.routes import Route

from infra import config
from infra.constructs.lambdas import alarm, build_function, construct_name, server_errors
from infra.permissions import pages, route_actions


def route_stack(route: Route, stacks: int = config.ROUTE_STACKS) -> str:
    """The construct id of the nested stack that holds `route`: stable whatever else the table holds."""
    digest = hashlib.sha256(f"{route.method} {route.path}".encode()).digest()
    return f"Routes{int.from_bytes(digest[:8], 'big') % stacks + 1}"


def group_routes(routes: tuple[Route, ...]) -> dict[str, list[Route]]:
    groups: dict[str, list[Route]] = {}
    for route in routes:
        groups.setdefault(route_stack(route), []).append(route)
    return dict(sorted(groups.items()))


class RouteFunctions(NestedStack):
    @staticmethod
    def _cursor_secret(route: Route, environment: dict[str, str], secret: secretsmanager.ISecret) -> dict[str, Any]:
        """Only a function that pages gets the cursor secret's ARN and the right to read it."""
        if not pages(route):
            return {"environment": environment, "secret": None}
        return {"environment": {**environment, "CURSOR_SECRET_ARN": secret.secret_arn}, "secret": secret}

    @staticmethod
    def _token_key(route: Route) -> dict[str, str]:
        """The token route signs with the signing key of this id (rotation: docs/decisions.md)."""
        return {"OAUTH_SIGNING_KEY_ID": str(config.OAUTH_SIGNING_KEY_ID)} if route.public else {}

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        routes: list[Route],
        resource_ids: dict[str, str],
        rest_api_id: str,
        authorizer_id: str,
        table: dynamodb.ITableV2,
        layers: list[lambda_.ILayerVersion],
        environment: dict[str, str],
        secret: secretsmanager.ISecret,
        topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        self.functions: dict[str, lambda_.Function] = {}
        self.methods: list[apigw.CfnMethod] = []
        for route in routes:
            name = construct_name(route.function)
            while self.node.try_find_child(name) is not None:  # only generated route tables repeat a function
                name += "X"
            function = build_function(
                self,
                name,
                function=route.function,
                table=table,
                layers=layers,
                actions=route_actions(route),
                description=f"{route.method} {route.path}",
                **self._cursor_secret(route, {**environment, **self._token_key(route)}, secret),
            )
            self.functions[route.function] = function  # by the route table's function name
            function.add_permission(
                "InvokedByApi",
                principal=iam.ServicePrincipal("apigateway.amazonaws.com"),
                source_arn=(
                    f"arn:{Aws.PARTITION}:execute-api:{Aws.REGION}:{Aws.ACCOUNT_ID}:"
                    f"{rest_api_id}/*/{route.method}{route.arn_path}"
                ),
            )
            self.methods.append(
                apigw.CfnMethod(
                    self,
                    f"{name}Method",
                    rest_api_id=rest_api_id,
                    resource_id=resource_ids[route.path],
                    http_method=route.method,
                    # The public route (POST /oauth/token) has no authorizer and no usage plan (no tenant yet):
                    # the stage throttles it per method instead (infra/constructs/api.py, docs/deploy.md).
                    authorization_type="NONE" if route.public else "CUSTOM",
                    authorizer_id=None if route.public else authorizer_id,
                    # The tenant's usage plan applies: the authorizer answers its usageIdentifierKey.
                    api_key_required=not route.public,
                    operation_name=route.function,
                    integration=apigw.CfnMethod.IntegrationProperty(
                        type="AWS_PROXY",
                        integration_http_method="POST",
                        uri=(
                            f"arn:{Aws.PARTITION}:apigateway:{Aws.REGION}:lambda:path/2015-03-31/functions/"
                            f"{function.function_arn}/invocations"
                        ),
                    ),
                )
            )
            for metric_name, metric, what in (
                ("5xx", server_errors(function), "answered 5xx (the function's own Status5xx)"),
                ("Errors", function.metric_errors(), "Lambda errors (crashes and timeouts)"),
                ("Throttles", function.metric_throttles(), "Lambda throttles"),
            ):
                alarm(self, f"{name}{metric_name}Alarm", metric, f"{route.method} {route.path}: {what}", topic=topic)
