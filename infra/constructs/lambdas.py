"""How every function of the stack is built: runtime, layers, memory, logs, tracing, least-privilege role."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct
from loyalty.http import FUNCTION_DIMENSION

from infra import build, config

# Where the functions' Powertools metrics go (Status2xx/4xx/5xx, loyalty/http.py).
METRICS_NAMESPACE = "LoyaltyApi"


def construct_name(function: str) -> str:
    """get_member_summary → GetMemberSummary."""
    return "".join(part.capitalize() for part in function.split("_"))


def alarm(
    scope: Construct,
    construct_id: str,
    metric: cloudwatch.IMetric,
    description: str,
    *,
    topic: sns.ITopic,
    threshold: float = 1,
    periods: int = 1,
) -> cloudwatch.Alarm:
    """An alarm that notifies `topic` when `metric` reaches `threshold` and when it recovers; no data is fine."""
    created = cloudwatch.Alarm(
        scope,
        construct_id,
        metric=metric,
        threshold=threshold,
        evaluation_periods=periods,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        alarm_description=description,
    )
    created.add_alarm_action(cloudwatch_actions.SnsAction(topic))
    created.add_ok_action(cloudwatch_actions.SnsAction(topic))
    return created


def dead_letters(scope: Construct, description: str, *, topic: sns.ITopic) -> sqs.Queue:
    """`DeadLetters`, an encrypted queue that keeps what failed for good 14 days, and `DeadLettersAlarm`, which
    notifies `topic` (with `description`) as soon as a message waits in it."""
    queue = sqs.Queue(
        scope,
        "DeadLetters",
        retention_period=Duration.days(14),
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
    )
    visible = queue.metric_approximate_number_of_messages_visible(period=Duration.minutes(5), statistic="Maximum")
    alarm(scope, "DeadLettersAlarm", visible, description, topic=topic)
    return queue


def server_errors(function: lambda_.IFunction) -> cloudwatch.Metric:
    """The 5xx answers of one route function: what the edge catches and answers (a bug's 500, a 503)
    never reaches Lambda's Errors metric, which counts only crashes and timeouts."""
    return cloudwatch.Metric(
        namespace=METRICS_NAMESPACE,
        metric_name="Status5xx",
        dimensions_map={FUNCTION_DIMENSION: function.function_name},
        statistic="Sum",
        period=Duration.minutes(5),
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
    actions: tuple[str, ...],
    environment: dict[str, str],
    description: str,
    secret: secretsmanager.ISecret | None = None,
    timeout_seconds: int = config.FUNCTION_TIMEOUT_SECONDS,
    reserved_concurrency: int | None = None,
    memory_mb: int = config.FUNCTION_MEMORY_MB,
) -> lambda_.Function:
    """One function from functions/<function>/ with its bytecode and a role of exactly `actions` on the table."""
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
    if actions:
        role.add_to_policy(
            iam.PolicyStatement(actions=list(actions), resources=[table.table_arn, f"{table.table_arn}/index/*"])
        )
    if secret is not None:
        secret.grant_read(role)
    return lambda_.Function(
        scope,
        construct_id,
        description=description,
        runtime=lambda_.Runtime(config.PYTHON_RUNTIME, lambda_.RuntimeFamily.PYTHON),
        architecture=lambda_.Architecture.ARM_64,
        handler=config.HANDLER,
        code=lambda_.Code.from_asset(str(build.function_code(function))),
        layers=layers,
        memory_size=memory_mb,
        timeout=Duration.seconds(timeout_seconds),
        reserved_concurrent_executions=reserved_concurrency,
        role=role,
        log_group=log_group,
        logging_format=lambda_.LoggingFormat.JSON,
        tracing=lambda_.Tracing.ACTIVE,
        environment={
            **environment,
            "POWERTOOLS_SERVICE_NAME": "loyalty-api",
            "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        },
    )
