"""The REST API: stage Production with access logs, tracing and throttling, the key authorizer,
per-tenant usage plans (the authorizer names the tenant's plan key), and gateway responses in the
contract's error envelope. Methods are added by RouteFunctions.

Built from L1 resources because the methods live in nested stacks (the L2 RestApi insists on
owning its methods), which keeps every template far below CloudFormation's resource limit.
"""

from __future__ import annotations

import hashlib
import json

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct
from loyalty.apikeys import BEARER_PATTERN
from loyalty.routes import ROUTES

from infra import config
from infra.gateway_responses import GATEWAY_RESPONSES, body, retry_after

# Every resource type whose properties a deployment snapshots into the stage.
STAGE_SHAPING = (
    apigw.CfnMethod,
    apigw.CfnResource,
    apigw.CfnGatewayResponse,
    apigw.CfnAuthorizer,
    apigw.CfnModel,
    apigw.CfnRequestValidator,
)

# One JSON object per request. Every value is quoted except $context.error.messageString, which
# API Gateway quotes and escapes itself, so a message with quotes or backslashes stays valid JSON.
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "latency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "tenant": "$context.authorizer.tenantId",
    "keyId": "$context.authorizer.keyId",
    "principal": "$context.authorizer.principalId",
    "authorizerStatus": "$context.authorizer.status",
    "authorizerError": "$context.authorizer.error",
    "errorType": "$context.error.responseType",
    "xrayTraceId": "$context.xrayTraceId",
}


def access_log_format() -> str:
    quoted = ",".join(f'"{name}":"{variable}"' for name, variable in ACCESS_LOG_FIELDS.items())
    return "{" + quoted + ',"error":$context.error.messageString}'


def default_usage_key(stack_name: str) -> str:
    """The shared fallback usage-plan key of tenants created before each tenant got its own key at
    `tenant create` (tools/limits.py): an identifier, never sent by clients."""
    return f"{stack_name}-default-tenant-limits"


class LoyaltyApi(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, authorizer_function: lambda_.IFunction) -> None:
        super().__init__(scope, construct_id)
        self.name = Stack.of(self).stack_name
        self.access_logs = logs.LogGroup(
            self, "AccessLogs", retention=getattr(logs.RetentionDays, config.LOG_RETENTION)
        )
        self.api = apigw.CfnRestApi(
            self,
            "Api",
            name=self.name,
            description="Loyalty & Offers API",
            endpoint_configuration=apigw.CfnRestApi.EndpointConfigurationProperty(types=["REGIONAL"]),
            # Usage plans take the tenant's key from the authorizer's usageIdentifierKey.
            api_key_source_type="AUTHORIZER",
        )
        self.rest_api_id = self.api.ref
        self._resources: dict[str, str] = {"/": self.api.attr_root_resource_id}
        self.gateway_responses = [
            apigw.CfnGatewayResponse(
                self,
                f"Gateway{response_type.title().replace('_', '')}",
                rest_api_id=self.rest_api_id,
                response_type=response_type,
                status_code=str(status) if status else None,  # None: the catch-alls keep the gateway's status
                response_templates={"application/json": body(response_type)},
                response_parameters={
                    f"gatewayresponse.header.{name}": f"'{value}'" for name, value in retry_after(response_type).items()
                }
                or None,
            )
            for response_type, (status, _, _) in GATEWAY_RESPONSES.items()
        ]
        self.authorizer = apigw.CfnAuthorizer(
            self,
            "KeyAuthorizer",
            rest_api_id=self.rest_api_id,
            name="api-key",
            type="TOKEN",
            identity_source="method.request.header.Authorization",
            identity_validation_expression=BEARER_PATTERN,
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
        """The account-level role API Gateway needs to write logs. It is one per account and region,
        shared by every API there, so deleting this stack must not take it away from the others."""
        role = iam.Role(
            self,
            "CloudWatchRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AmazonAPIGatewayPushToCloudWatchLogs")
            ],
        )
        role.apply_removal_policy(RemovalPolicy.RETAIN)
        self.account = apigw.CfnAccount(self, "Account", cloud_watch_role_arn=role.role_arn)
        self.account.apply_removal_policy(RemovalPolicy.RETAIN)
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

    def deploy(self, dependencies: list[Construct]) -> apigw.CfnStage:
        """One deployment of every method and the stage. Call it last: the deployment's logical id is a
        digest of every stage-shaping resource in the app, so any change to one makes a new deployment."""
        self.digest = stage_digest(self.node.root)
        deployment = apigw.CfnDeployment(self, f"Deployment{self.digest}", rest_api_id=self.rest_api_id)
        # A deployment snapshots what exists when it is created: it must come after every gateway
        # response (no method refers to them, so nothing else orders them before it) and every method.
        for dependency in [*dependencies, *self.gateway_responses]:
            deployment.node.add_dependency(dependency)
        self.stage = apigw.CfnStage(
            self,
            "Stage",
            rest_api_id=self.rest_api_id,
            deployment_id=deployment.ref,
            stage_name=config.STAGE_NAME,
            tracing_enabled=True,
            access_log_setting=apigw.CfnStage.AccessLogSettingProperty(
                destination_arn=self.access_logs.log_group_arn, format=access_log_format()
            ),
            method_settings=[
                apigw.CfnStage.MethodSettingProperty(
                    http_method="*",
                    resource_path="/*",
                    logging_level="ERROR",
                    # Per-method metrics are billed as custom metrics; see docs/decisions.md.
                    metrics_enabled=False,
                    # per method: each route gets this much, the stage's total is the account's limit
                    throttling_rate_limit=config.METHOD_THROTTLE_RATE_PER_SECOND,
                    throttling_burst_limit=config.METHOD_THROTTLE_BURST,
                ),
                # The public token route: no authorizer, no tenant usage plan, so its own tight limit.
                *(
                    apigw.CfnStage.MethodSettingProperty(
                        http_method=route.method,
                        resource_path="/" + route.path.replace("/", "~1"),  # AWS: /~1oauth~1token
                        logging_level="ERROR",
                        metrics_enabled=False,
                        throttling_rate_limit=config.TOKEN_THROTTLE_RATE_PER_SECOND,
                        throttling_burst_limit=config.TOKEN_THROTTLE_BURST,
                    )
                    for route in ROUTES
                    if route.public
                ),
            ],
        )
        self.stage.node.add_dependency(self.account)
        self._default_usage_plan()
        return self.stage

    def _default_usage_plan(self) -> None:
        """The plan of tenants without limits of their own; `loyalty tenant limits` gives a tenant its own."""
        plan = apigw.CfnUsagePlan(
            self,
            "DefaultUsagePlan",
            usage_plan_name=f"{self.name}-default",
            description="Each tenant's own key starts here; the rate applies to each key",
            api_stages=[apigw.CfnUsagePlan.ApiStageProperty(api_id=self.rest_api_id, stage=config.STAGE_NAME)],
            throttle=apigw.CfnUsagePlan.ThrottleSettingsProperty(
                rate_limit=config.DEFAULT_TENANT_RATE_PER_SECOND, burst_limit=config.DEFAULT_TENANT_BURST
            ),
        )
        plan.node.add_dependency(self.stage)
        key = apigw.CfnApiKey(
            self, "DefaultUsageKey", enabled=True, value=default_usage_key(self.name), name=f"{self.name}-default"
        )
        apigw.CfnUsagePlanKey(self, "DefaultUsagePlanKey", key_id=key.ref, key_type="API_KEY", usage_plan_id=plan.ref)

    def url(self) -> str:
        return f"https://{self.rest_api_id}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}/{config.STAGE_NAME}/"

    def metric(self, name: str, statistic: str = "Sum") -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace="AWS/ApiGateway",
            metric_name=name,
            dimensions_map={"ApiName": self.name, "Stage": config.STAGE_NAME},
            statistic=statistic,
            period=Duration.minutes(5),
        )


def stage_digest(root: IConstruct) -> str:
    """A digest of the resolved properties of every stage-shaping resource under `root`."""
    shapes = sorted(
        json.dumps(
            [node.cfn_resource_type, node.node.path, Stack.of(node).resolve(node._cfn_properties)],
            sort_keys=True,
            default=str,
        )
        for node in root.node.find_all()
        if isinstance(node, STAGE_SHAPING)
    )
    return hashlib.sha256("\n".join(shapes).encode()).hexdigest()[:12]
