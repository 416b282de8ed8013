"""How every function of the stack is built: runtime, layers, memory, logs, tracing, least-privilege role."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import build, config

READ_ACTIONS = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem"]
WRITE_ACTIONS = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]


def construct_name(function: str) -> str:
    """get_member_summary → GetMemberSummary."""
    return "".join(part.capitalize() for part in function.split("_"))


def alarm(
    scope: Construct,
    construct_id: str,
    metric: cloudwatch.IMetric,
    description: str,
    threshold: float = 1,
    periods: int = 1,
) -> cloudwatch.Alarm:
    """An alarm that fires when `metric` reaches `threshold`; no data means all is well."""
    return cloudwatch.Alarm(
        scope,
        construct_id,
        metric=metric,
        threshold=threshold,
        evaluation_periods=periods,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        alarm_description=description,
    )


def code_layer(scope: Construct) -> lambda_.LayerVersion:
    """Our domain package (layers/loyalty/python/loyalty) as a layer, with its bytecode (infra/build.py)."""
    return lambda_.LayerVersion(
        scope,
        "CodeLayer",
        code=lambda_.Code.from_asset(str(build.layer_code())),
        compatible_runtimes=[lambda_.Runtime(config.PYTHON_RUNTIME, lambda_.RuntimeFamily.PYTHON)],
        compatible_architectures=[lambda_.Architecture.ARM_64],
        description="Loyalty API domain package: models, services, repository, HTTP conventions",
    )


def build_function(
    scope: Construct,
    construct_id: str,
    *,
    function: str,
    table: dynamodb.ITableV2,
    layers: list[lambda_.ILayerVersion],
    writes: bool,
    environment: dict[str, str],
    description: str,
    timeout_seconds: int = config.FUNCTION_TIMEOUT_SECONDS,
) -> lambda_.Function:
    """One function from functions/<function>/ with its bytecode, its own role (reads, or reads and writes; no Scan)."""
    role = iam.Role(
        scope,
        f"{construct_id}Role",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=f"Least privilege for {function}",
    )
    log_group = logs.LogGroup(
        scope,
        f"{construct_id}Logs",
        retention=getattr(logs.RetentionDays, config.LOG_RETENTION),
        removal_policy=RemovalPolicy.DESTROY,
    )
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[log_group.log_group_arn],
        )
    )
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            resources=["*"],
        )
    )
    role.add_to_policy(
        iam.PolicyStatement(
            actions=READ_ACTIONS + (WRITE_ACTIONS if writes else []),
            resources=[table.table_arn, f"{table.table_arn}/index/*"],
        )
    )
    return lambda_.Function(
        scope,
        construct_id,
        description=description,
        runtime=lambda_.Runtime(config.PYTHON_RUNTIME, lambda_.RuntimeFamily.PYTHON),
        architecture=lambda_.Architecture.ARM_64,
        handler="app.handler",
        code=lambda_.Code.from_asset(str(build.function_code(function))),
        layers=layers,
        memory_size=config.FUNCTION_MEMORY_MB,
        timeout=Duration.seconds(timeout_seconds),
        role=role,
        log_group=log_group,
        logging_format=lambda_.LoggingFormat.JSON,
        tracing=lambda_.Tracing.ACTIVE,
        environment={
            **environment,
            "POWERTOOLS_SERVICE_NAME": "loyalty-api",
            "POWERTOOLS_METRICS_NAMESPACE": "LoyaltyApi",
        },
    )
