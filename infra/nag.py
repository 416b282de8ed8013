"""cdk-nag suppressions, each with the reason it is accepted."""

from __future__ import annotations

from aws_cdk import Stack
from cdk_nag import NagPackSuppression, NagSuppressions

REASONS = {
    "AwsSolutions-IAM5": (
        "Wildcards are limited to the table's own indexes (table/index/*), X-Ray trace submission "
        "(which has no resource-level permissions) and CloudWatch role defaults."
    ),
    "AwsSolutions-IAM4": "API Gateway's account-level CloudWatch role uses the AWS managed push-to-logs policy.",
    "AwsSolutions-APIG2": "Every handler validates its request against its declared schema (unknown fields → 400).",
    "AwsSolutions-APIG3": "WAF is a per-account decision left to the operator; the stage is throttled.",
    "AwsSolutions-APIG4": (
        "Every method of the API uses the API-key Lambda authorizer (a CUSTOM authorizer) but GET /docs, "
        "the public reference page of the API document, which a browser opens without a key."
    ),
    "AwsSolutions-COG4": "Callers are merchants' servers with API keys, not Cognito users.",
    "AwsSolutions-L1": "Pinned to the runtime the public Powertools layer is built for (infra/config.py).",
    "AwsSolutions-SMG4": (
        "The cursor secret only signs nextToken cursors; rotating it invalidates outstanding cursors "
        "(clients restart a listing), so it is rolled by hand (docs/deploy.md), not on a schedule."
    ),
    "AwsSolutions-SQS3": "The queue is itself the dead-letter queue of the scheduled jobs (Lambda and EventBridge).",
}


def suppress(stack: Stack) -> None:
    NagSuppressions.add_stack_suppressions(
        stack,
        [NagPackSuppression(id=rule, reason=reason) for rule, reason in REASONS.items()],
        apply_to_nested_stacks=True,
    )
