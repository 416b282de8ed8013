"""The REST API: stage Production with access logs, tracing and throttling, the key authorizer, and
gateway responses in the contract's error envelope. Methods are added by RouteFunctions.

Built from L1 resources because the methods live in nested stacks (the L2 RestApi insists on
owning its methods), which keeps every template far below CloudFormation's resource limit.
"""

from __future__ import annotations

import hashlib

from aws_cdk import Aws
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct
from loyalty.routes import Route

from infra import config
from infra.gateway_responses import GATEWAY_RESPONSES, body, retry_after

API_NAME = "loyalty-offers-api"


class LoyaltyApi(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, authorizer_function: lambda_.IFunction) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = logs.LogGroup(
            self, "AccessLogs", retention=getattr(logs.RetentionDays, config.LOG_RETENTION)
        )
        self.api = apigw.CfnRestApi(
            self,
            "Api",
            name=API_NAME,
            description="Loyalty & Offers API",
            endpoint_configuration=apigw.CfnRestApi.EndpointConfigurationProperty(types=["REGIONAL"]),
        )
        self.rest_api_id = self.api.ref
        self._resources: dict[str, str] = {"/": self.api.attr_root_resource_id}
        for response_type, (status, _, _) in GATEWAY_RESPONSES.items():
            apigw.CfnGatewayResponse(
                self,
                f"Gateway{response_type.title().replace('_', '')}",
                rest_api_id=self.rest_api_id,
                response_type=response_type,
                status_code=str(status),
                response_templates={"application/json": body(response_type)},
                response_parameters={
                    f"gatewayresponse.header.{name}": f"'{value}'" for name, value in retry_after(response_type).items()
                }
                or None,
            )
        self.authorizer = apigw.CfnAuthorizer(
            self,
            "KeyAuthorizer",
            rest_api_id=self.rest_api_id,
            name="api-key",
            type="TOKEN",
            identity_source="method.request.header.Authorization",
            authorizer_result_ttl_in_seconds=config.AUTHORIZER_CACHE_SECONDS,
            authorizer_uri=(
                f"arn:{Aws.PARTITION}:apigateway:{Aws.REGION}:lambda:path/2015-03-31/functions/"
                f"{authorizer_function.function_arn}/invocations"
            ),
        )
        authorizer_function.add_permission(
            "InvokedByAuthorizer",
            principal=iam.ServicePrincipal("apigateway.amazonaws.com"),
            source_arn=(
                f"arn:{Aws.PARTITION}:execute-api:{Aws.REGION}:{Aws.ACCOUNT_ID}:"
                f"{self.rest_api_id}/authorizers/{self.authorizer.ref}"
            ),
        )
        self._logging_role()

    def _logging_role(self) -> None:
        """The account-level role API Gateway needs to write execution and access logs."""
        role = iam.Role(
            self,
            "CloudWatchRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AmazonAPIGatewayPushToCloudWatchLogs")
            ],
        )
        self.account = apigw.CfnAccount(self, "Account", cloud_watch_role_arn=role.role_arn)
        self.account.node.add_dependency(self.api)

    def resource_id(self, path: str) -> str:
        """The API resource of a path, each segment created once here and shared by every nested stack."""
        if path in self._resources:
            return self._resources[path]
        parent, _, segment = path.rpartition("/")
        parent_id = self.resource_id(parent or "/")
        resource = apigw.CfnResource(
            self,
            "Path" + hashlib.sha1(path.encode()).hexdigest()[:12],
            rest_api_id=self.rest_api_id,
            parent_id=parent_id,
            path_part=segment,
        )
        self._resources[path] = resource.ref
        return resource.ref

    def deploy(self, routes: tuple[Route, ...], dependencies: list[Construct]) -> apigw.CfnStage:
        """One deployment of every method, replaced whenever the route table changes, and the stage."""
        digest = hashlib.sha256(repr([(r.method, r.path, r.function) for r in routes]).encode()).hexdigest()[:12]
        deployment = apigw.CfnDeployment(self, f"Deployment{digest}", rest_api_id=self.rest_api_id)
        for dependency in dependencies:
            deployment.node.add_dependency(dependency)
        fields = (
            '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",'
            '"requestTime":"$context.requestTime","httpMethod":"$context.httpMethod",'
            '"resourcePath":"$context.resourcePath","status":"$context.status",'
            '"responseLength":"$context.responseLength","tenant":"$context.authorizer.tenantId",'
            '"latency":"$context.responseLatency","error":"$context.error.message"}'
        )
        self.stage = apigw.CfnStage(
            self,
            "Stage",
            rest_api_id=self.rest_api_id,
            deployment_id=deployment.ref,
            stage_name=config.STAGE_NAME,
            tracing_enabled=True,
            access_log_setting=apigw.CfnStage.AccessLogSettingProperty(
                destination_arn=self.access_logs.log_group_arn, format=fields
            ),
            method_settings=[
                apigw.CfnStage.MethodSettingProperty(
                    http_method="*",
                    resource_path="/*",
                    logging_level="ERROR",
                    metrics_enabled=True,
                    throttling_rate_limit=config.THROTTLE_RATE_PER_SECOND,
                    throttling_burst_limit=config.THROTTLE_BURST,
                )
            ],
        )
        self.stage.node.add_dependency(self.account)
        return self.stage

    def url(self) -> str:
        return f"https://{self.rest_api_id}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}/{config.STAGE_NAME}/"

    def metric(self, name: str, statistic: str = "Sum") -> cloudwatch.Metric:
        from aws_cdk import Duration

        return cloudwatch.Metric(
            namespace="AWS/ApiGateway",
            metric_name=name,
            dimensions_map={"ApiName": API_NAME, "Stage": config.STAGE_NAME},
            statistic=statistic,
            period=Duration.minutes(5),
        )
