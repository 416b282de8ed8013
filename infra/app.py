"""The CDK app (`npx cdk synth` / `npx cdk deploy`): the loyalty stack checked by cdk-nag's AwsSolutions pack."""

from __future__ import annotations

import os
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra import config
from infra.nag import suppress
from infra.stack import LoyaltyStack


def stack_name(stage: str | None) -> str:
    """LoyaltyOffersApi, or LoyaltyOffersApi-<stage> for a second copy in the same account."""
    return f"{config.STACK_ID}-{stage}" if stage else config.STACK_ID


def build_app(
    outdir: str | None = None, context: dict[str, Any] | None = None, **stack_kwargs: object
) -> tuple[cdk.App, LoyaltyStack]:
    app = cdk.App(outdir=outdir, context=context) if outdir else cdk.App(context=context)
    env = cdk.Environment(
        account=os.environ.get("CDK_DEFAULT_ACCOUNT"),
        region=os.environ.get("CDK_DEFAULT_REGION") or os.environ.get("AWS_REGION"),
    )
    name = stack_name(app.node.try_get_context("stage"))
    stack = LoyaltyStack(app, name, env=env, **stack_kwargs)  # type: ignore[arg-type]
    suppress(stack)
    cdk.Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    return app, stack


if __name__ == "__main__":
    build_app()[0].synth()
