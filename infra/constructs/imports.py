"""Bulk imports deployed (§14): the import bucket, its upload event and the Step Functions workflow that runs it.

`POST /imports` signs a PUT URL for `uploads/<tenant>/<importId>` (the route's role may put under uploads/ only).
The upload's ObjectCreated goes to EventBridge (the bucket's EventBridge notifications), whose rule starts the
state machine with the event: Split (functions/split_import: streams the upload into chunks of ~1,000 rows that
carry their line numbers, and a manifest) → a DISTRIBUTED Map over the manifest (S3 item reader; an item is a
chunk's reference, ~100 bytes, never its rows), at most MAX_CONCURRENCY chunks at once (`-c importMaxConcurrency=N`),
each chunk (functions/import_chunk) retried with exponential backoff and full jitter when DynamoDB or Lambda
throttles → Finish (functions/finish_import: the report, the status, `import.completed`). A Map that fails after
its retries is caught: the import is marked failed, and the execution fails (its alarm).

The bucket: S3-managed encryption, all public access blocked, TLS only, no versions; every object expires
(uploads and chunks after EXPIRE_UPLOAD_DAYS, reports after EXPIRE_REPORT_DAYS, half-done multipart uploads
after a day); CORS allows the presigned PUT (and the report's GET) from a browser. Each function's role reaches
only its own prefixes (split: read uploads/, write chunks/; chunk: read chunks/, write reports/*/parts/;
finish: read and write reports/) and its DynamoDB actions (infra/permissions.py).
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct
from loyalty.repository.blobs import BUCKET_VARIABLE

from infra import config
from infra.constructs.lambdas import alarm, build_function, dead_letters
from infra.context import whole_number
from infra.permissions import FINISH_IMPORT, IMPORT_CHUNK, SPLIT_IMPORT

MAX_CONCURRENCY = 10  # chunks at once by default: ≈ 2,500 rows/s, what the table absorbs (docs/deploy.md)
MAX_CONCURRENCY_CONTEXT = "importMaxConcurrency"
SPLIT_TIMEOUT_SECONDS = 900  # streams a whole file: 1,000,000 rows in ~2-3 minutes (docs/deploy.md)
SPLIT_STORAGE_MB = 4096  # /tmp for the chunks being written (a 1M-row file makes ~250 MB of chunks)
CHUNK_TIMEOUT_SECONDS = 300  # a chunk of ~1,000 rows takes seconds; a throttled one is retried, not waited out
FINISH_TIMEOUT_SECONDS = 300
EXPIRE_UPLOAD_DAYS = 7  # uploads and chunks: a failed import can be looked into, then they go
EXPIRE_REPORT_DAYS = 30
WORKFLOW_HOURS = 6  # a whole run at most
# Errors a chunk is retried on with backoff: the store's throttling and outage errors (loyalty.errors, raised by
# name from the function), and Lambda's own throttling and service errors.
THROTTLING_ERRORS = (
    "Throttled",
    "Unavailable",
    "Contention",
    "Lambda.TooManyRequestsException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
)
THROTTLE_RETRIES = 8  # 2 s, 4 s, ... capped at 60 s, full jitter: about 5 minutes of backing off
OTHER_RETRIES = 2
DESCRIPTIONS = {
    "split_import": "Import workflow: split the upload into chunks and their manifest",
    "import_chunk": "Import workflow: import one chunk's rows",
    "finish_import": "Import workflow: merge the report, set the status, emit import.completed",
}


def max_concurrency(scope: Construct) -> int:
    """`-c importMaxConcurrency=N` (1 to 10000): the chunks the Distributed Map runs at once."""
    return whole_number(scope, MAX_CONCURRENCY_CONTEXT, MAX_CONCURRENCY, 1, 10_000)


class ImportWorkflow(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        table: dynamodb.ITableV2,
        layers: list[lambda_.ILayerVersion],
        environment: dict[str, str],
        topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        self.max_concurrency = max_concurrency(self)
        self.bucket = s3.Bucket(
            self,
            "Files",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[
                s3.LifecycleRule(id="uploads", prefix="uploads/", expiration=Duration.days(EXPIRE_UPLOAD_DAYS)),
                s3.LifecycleRule(id="chunks", prefix="chunks/", expiration=Duration.days(EXPIRE_UPLOAD_DAYS)),
                s3.LifecycleRule(id="reports", prefix="reports/", expiration=Duration.days(EXPIRE_REPORT_DAYS)),
                s3.LifecycleRule(id="multipart", abort_incomplete_multipart_upload_after=Duration.days(1)),
            ],
            cors=[
                s3.CorsRule(
                    allowed_methods=[s3.HttpMethods.PUT, s3.HttpMethods.GET],
                    allowed_origins=["*"],  # the URL's signature is the credential; no cookies are sent
                    allowed_headers=["*"],
                    max_age=3600,
                )
            ],
        )
        NagSuppressions.add_resource_suppressions(
            self.bucket,
            [
                NagPackSuppression(
                    id="AwsSolutions-S1",
                    reason="Objects are written through URLs the admin-only POST /imports signs (API Gateway logs who "
                    "asked) and by the workflow's own roles; every object expires within 30 days. An audit trail of "
                    "object reads is CloudTrail S3 data events, an account-level choice (docs/deploy.md).",
                )
            ],
        )
        # Object events to EventBridge, set on the bucket itself (CDK's event_bridge_enabled would add a custom
        # resource function to set it after creation)
        bucket = self.bucket.node.default_child
        assert isinstance(bucket, s3.CfnBucket)
        bucket.add_property_override("NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled", True)
        variables = {**environment, BUCKET_VARIABLE: self.bucket.bucket_name}
        self.functions: dict[str, lambda_.Function] = {}
        for function, actions, timeout in (
            ("split_import", SPLIT_IMPORT, SPLIT_TIMEOUT_SECONDS),
            ("import_chunk", IMPORT_CHUNK, CHUNK_TIMEOUT_SECONDS),
            ("finish_import", FINISH_IMPORT, FINISH_TIMEOUT_SECONDS),
        ):
            self.functions[function] = build_function(
                self,
                "".join(part.capitalize() for part in function.split("_")),
                function=function,
                table=table,
                layers=layers,
                actions=actions,
                environment=variables,
                description=DESCRIPTIONS[function],
                timeout_seconds=timeout,
                memory_mb=config.JOB_MEMORY_MB,  # a vCPU: botocore's serialisation and the CSV reading are CPU-bound
            )
        split = self.functions["split_import"]
        cfn = split.node.default_child
        assert isinstance(cfn, lambda_.CfnFunction)
        cfn.ephemeral_storage = lambda_.CfnFunction.EphemeralStorageProperty(size=SPLIT_STORAGE_MB)
        self._grant(split, read=("uploads/*",), write=("chunks/*",))
        self._grant(self.functions["import_chunk"], read=("chunks/*",), write=("reports/*/parts/*",))
        self._grant(self.functions["finish_import"], read=("reports/*",), write=("reports/*",))
        self.machine = self._state_machine()
        self.dead_letters = dead_letters(
            self, "An upload's event could not start the import workflow: read it in the dead-letter queue", topic=topic
        )
        events.Rule(
            self,
            "Uploaded",
            description="An import file was uploaded: run its import",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={"bucket": {"name": [self.bucket.bucket_name]}, "object": {"key": [{"prefix": "uploads/"}]}},
            ),
            targets=[targets.SfnStateMachine(self.machine, retry_attempts=4, dead_letter_queue=self.dead_letters)],
        )
        self._alarms(topic)

    def _grant(self, function: lambda_.IFunction, *, read: tuple[str, ...] = (), write: tuple[str, ...] = ()) -> None:
        """s3:GetObject on `read` and s3:PutObject on `write`, prefixes of the import bucket, and nothing else."""
        if read:
            function.add_to_role_policy(
                iam.PolicyStatement(actions=["s3:GetObject"], resources=[self.bucket.arn_for_objects(p) for p in read])
            )
        if write:
            function.add_to_role_policy(
                iam.PolicyStatement(actions=["s3:PutObject"], resources=[self.bucket.arn_for_objects(p) for p in write])
            )

    def grant_uploads(self, function: lambda_.Function) -> None:
        """POST /imports signs PUT URLs of uploads/ (a presigned URL carries its signer's rights)."""
        function.add_environment(BUCKET_VARIABLE, self.bucket.bucket_name)
        self._grant(function, write=("uploads/*",))

    def grant_reports(self, function: lambda_.Function) -> None:
        """GET /imports/{importId} signs GET URLs of reports."""
        function.add_environment(BUCKET_VARIABLE, self.bucket.bucket_name)
        self._grant(function, read=("reports/*",))

    def _invoke(self, state: str, function: str, payload: dict[str, str]) -> tasks.LambdaInvoke:
        return tasks.LambdaInvoke(
            self,
            state,
            lambda_function=self.functions[function],
            payload=sfn.TaskInput.from_object(payload),
            payload_response_only=True,
            retry_on_service_exceptions=False,  # the retries are ours, below
        )

    def _with_retries(self, task: tasks.LambdaInvoke, attempts: int = THROTTLE_RETRIES) -> tasks.LambdaInvoke:
        task.add_retry(
            errors=list(THROTTLING_ERRORS),
            interval=Duration.seconds(2),
            backoff_rate=2,
            max_attempts=attempts,
            max_delay=Duration.seconds(60),
            jitter_strategy=sfn.JitterType.FULL,
        )
        task.add_retry(errors=["States.ALL"], interval=Duration.seconds(5), backoff_rate=2, max_attempts=OTHER_RETRIES)
        return task

    def _state_machine(self) -> sfn.StateMachine:
        path = sfn.JsonPath
        split = self._with_retries(
            self._invoke(
                "Split",
                "split_import",
                {
                    "bucket": path.string_at("$.detail.bucket.name"),
                    "key": path.string_at("$.detail.object.key"),
                },
            )
        )
        job = {"tenantId": path.string_at("$.tenantId"), "importId": path.string_at("$.importId")}
        chunk = self._with_retries(
            self._invoke(
                "Chunk",
                "import_chunk",
                {
                    **job,
                    "chunk": path.number_at("$.chunk"),
                    "key": path.string_at("$.key"),
                },
            )
        )
        chunks = sfn.DistributedMap(
            self,
            "Chunks",
            # the bucket by name from the state (the splitter gives back the event's): CDK then grants nothing, and
            # the role reads the manifests' prefix only (below)
            item_reader=sfn.S3JsonItemReader(
                bucket_name_path=path.string_at("$.bucket"), key=path.string_at("$.manifestKey")
            ),
            item_selector={
                **job,
                "chunk": path.number_at("$$.Map.Item.Value.chunk"),
                "key": path.string_at("$$.Map.Item.Value.key"),
            },
            max_concurrency=self.max_concurrency,
            result_path=path.DISCARD,
            label="Chunks",
        )
        chunks.item_processor(chunk)
        finish = self._with_retries(
            self._invoke("Finish", "finish_import", {**job, "chunks": path.number_at("$.chunks")})
        )
        failed = self._with_retries(
            self._invoke(
                "FinishFailed",
                "finish_import",
                {**job, "chunks": path.number_at("$.chunks"), "error": path.string_at("$.failure.Error")},
            )
        ).next(sfn.Fail(self, "ImportFailed", error="ImportFailed", cause="A chunk failed after its retries"))
        chunks.add_catch(failed, result_path="$.failure")
        definition = split.next(
            sfn.Choice(self, "Over?")
            .when(sfn.Condition.boolean_equals("$.skip", True), sfn.Succeed(self, "Ignored"))
            .otherwise(chunks.next(finish))
        )
        log_group = logs.LogGroup(
            self,
            "WorkflowLogs",
            retention=getattr(logs.RetentionDays, config.LOG_RETENTION),
            removal_policy=RemovalPolicy.DESTROY,
        )
        machine = sfn.StateMachine(
            self,
            "Workflow",
            comment="A bulk import: split the upload, import its chunks (Distributed Map), finish",
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            timeout=Duration.hours(WORKFLOW_HOURS),
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )
        machine.add_to_role_policy(
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[self.bucket.arn_for_objects("chunks/*")])
        )
        return machine

    def _alarms(self, topic: sns.ITopic) -> None:
        period = Duration.minutes(5)
        alarm(
            self,
            "Failed",
            self.machine.metric_failed(period=period),
            "An import failed (a chunk failed after its retries, or a step crashed): see the execution",
            topic=topic,
        )
        alarm(
            self,
            "TimedOut",
            self.machine.metric_timed_out(period=period),
            f"An import ran longer than {WORKFLOW_HOURS} hours",
            topic=topic,
        )
        for function, name in ((self.functions["import_chunk"], "Chunk"), (self.functions["split_import"], "Split")):
            alarm(
                self,
                f"{name}Throttles",
                function.metric_throttles(period=period),
                f"The import {name.lower()} function was throttled (account concurrency exhausted)",
                topic=topic,
            )
