"""The CDK app (`npx cdk synth` / `npx cdk deploy`): the loyalty stack checked by cdk-nag's AwsSolutions pack."""

from __future__ import annotations

import os

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.nag import suppress
from infra.stack import LoyaltyStack


def build_app(outdir: str | None = None, **stack_kwargs: object) -> tuple[cdk.App, LoyaltyStack]:
    app = cdk.App(outdir=outdir) if outdir else cdk.App()
    env = cdk.Environment(
        account=os.environ.get("CDK_DEFAULT_ACCOUNT"),
        region=os.environ.get("CDK_DEFAULT_REGION") or os.environ.get("AWS_REGION"),
    )
    stack = LoyaltyStack(app, "LoyaltyOffersApi", env=env, **stack_kwargs)  # type: ignore[arg-type]
    suppress(stack)
    cdk.Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    return app, stack


if __name__ == "__main__":
    build_app()[0].synth()
