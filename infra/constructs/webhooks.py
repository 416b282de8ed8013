"""Webhook delivery (§13) on AWS: the `WebhookDeliveries` SQS queue → the delivery function → receivers.

What is enqueued: one message per delivery (an event for one endpoint), sent by whatever stores events (the event
builder, the expiring-soon job: `grant_enqueue`) and re-sent by the delivery function itself, with a delay, for
each retry of the backoff schedule (SQS DelaySeconds, at most 15 minutes a hop: the schedule's longer waits
are several hops) — no scheduler loop of ours. The function (functions/deliver_webhooks, the queue URL in
WEBHOOK_QUEUE_URL) takes up to BATCH_SIZE messages an invocation and answers the ones it could not handle
(ReportBatchItemFailures): only those come back, after the visibility timeout. A message received MAX_RECEIVES
times without being handled (the function crashing on it, not a receiver failing: a receiver's failure is an
attempt recorded and re-enqueued) goes to the dead-letter queue.

Bounded: the event source's maximum concurrency (MAX_CONCURRENCY, 50; `-c webhookMaxConcurrency=N` up to 1000:
about 500 for 10,000 deliveries/s, docs/deploy.md) caps the invocations the queue makes, so slow
or failing receivers (10 s timeout each) hold at most that many executions of the account's concurrency; the
rest waits in the queue. `-c webhookReservedConcurrency=N` also reserves N (opt-in, like the jobs': Lambda
refuses a reservation on accounts with little unreserved concurrency and the whole stack rolls back).

Alarms: any message in the dead-letter queue, the oldest message older than OLDEST_MESSAGE_SECONDS (deliveries
falling behind), the function's errors and throttles.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.lambdas import alarm, build_function, dead_letters
from infra.context import reservation, whole_number
from infra.permissions import DELIVERY

DELIVERY_FUNCTION = "deliver_webhooks"  # functions/deliver_webhooks/app.py (the deliver branch's handler)
QUEUE_URL_VARIABLE = "WEBHOOK_QUEUE_URL"
DESCRIPTION = "Webhook delivery: signed POSTs to the endpoints, retried with backoff"
RESERVED_CONCURRENCY_CONTEXT = "webhookReservedConcurrency"
MAX_CONCURRENCY_CONTEXT = "webhookMaxConcurrency"
RECEIVER_TIMEOUT_SECONDS = 10  # §13: a 2xx within 10 s is success
BATCH_SIZE = 10  # messages an invocation: attempted concurrently by the handler, so ~one receiver timeout each
TIMEOUT_SECONDS = 60  # the function's: a batch's attempts (10 s each at worst) with room for the table writes
VISIBILITY_TIMEOUT_SECONDS = 6 * TIMEOUT_SECONDS  # AWS's advice for a Lambda event source: 6 x the function timeout
MAX_RECEIVES = 5  # a message the function failed on this often goes to the dead-letter queue
MAX_CONCURRENCY = 50  # invocations the queue may run at once by default (the event source's cap, 2 to 1000)
RETENTION_DAYS = 4  # a message waits at most this long (re-enqueued retries are new messages)
OLDEST_MESSAGE_SECONDS = 30 * 60  # alarm: a delivery waiting longer than twice the longest delay hop


def max_concurrency(scope: Construct) -> int:
    """`-c webhookMaxConcurrency=N` (2 to 1000) caps the invocations the queue runs at once; MAX_CONCURRENCY else."""
    return whole_number(scope, MAX_CONCURRENCY_CONTEXT, MAX_CONCURRENCY, 2, 1000)


def reserved_concurrency(scope: Construct, maximum: int) -> int | None:
    """`-c webhookReservedConcurrency=N` reserves N (at least the maximum concurrency, or the event source's
    invocations beyond the reservation are throttled) for the delivery function; off by default."""
    return reservation(scope, RESERVED_CONCURRENCY_CONTEXT, maximum)


class WebhookDeliveries(Construct):
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
        self.dead_letters = dead_letters(
            self,
            "A webhook delivery message failed the delivery function repeatedly: read it in its dead-letter queue",
            topic=topic,
        )
        self.queue = sqs.Queue(
            self,
            "WebhookDeliveries",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(VISIBILITY_TIMEOUT_SECONDS),
            retention_period=Duration.days(RETENTION_DAYS),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=MAX_RECEIVES, queue=self.dead_letters),
        )
        self.function = build_function(
            self,
            "DeliverWebhooks",
            function=DELIVERY_FUNCTION,
            table=table,
            layers=layers,
            actions=DELIVERY,
            environment={**environment, QUEUE_URL_VARIABLE: self.queue.queue_url},
            description=DESCRIPTION,
            timeout_seconds=TIMEOUT_SECONDS,
            reserved_concurrency=reserved_concurrency(self, self.max_concurrency),
        )
        self.function.add_event_source(
            sources.SqsEventSource(
                self.queue,
                batch_size=BATCH_SIZE,
                report_batch_item_failures=True,
                max_concurrency=self.max_concurrency,
            )
        )
        self.grant_enqueue(self.function)  # the retries of the backoff schedule
        self._alarms(topic)

    def grant_enqueue(self, function: lambda_.Function) -> None:
        """Let `function` enqueue deliveries: the queue's URL in WEBHOOK_QUEUE_URL and sqs:SendMessage on it alone
        (the queue is SQS-managed encrypted: no key to grant)."""
        function.add_environment(QUEUE_URL_VARIABLE, self.queue.queue_url)
        function.add_to_role_policy(iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[self.queue.queue_arn]))

    def _alarms(self, topic: sns.ITopic) -> None:
        period = Duration.minutes(5)
        alarm(
            self,
            "Oldest",
            self.queue.metric_approximate_age_of_oldest_message(period=period, statistic="Maximum"),
            f"Webhook deliveries are waiting more than {OLDEST_MESSAGE_SECONDS // 60} minutes in their queue",
            topic=topic,
            threshold=OLDEST_MESSAGE_SECONDS,
        )
        alarm(
            self,
            "Errors",
            self.function.metric_errors(period=period),
            "The webhook delivery function failed (its messages come back, then go to the dead-letter queue)",
            topic=topic,
        )
        alarm(
            self,
            "Throttles",
            self.function.metric_throttles(period=period),
            "The webhook delivery function was throttled (account concurrency, or its reservation, exhausted)",
            topic=topic,
        )
