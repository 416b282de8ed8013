"""Settings of the deployed stack, each set once here."""

from __future__ import annotations

import tomllib
from pathlib import Path

from loyalty.routes import STAGE as STAGE_NAME

__all__ = ["STAGE_NAME"]
ROOT = Path(__file__).resolve().parents[1]
STACK_ID = "LoyaltyOffersApi"  # `-c stage=staging` deploys a second copy as LoyaltyOffersApi-staging
# What Lambda calls in every function: loyalty/entry.py imports the function's app.handler, then ends init
# (garbage collection, paused for the imports, resumes whatever the handler is decorated with).
HANDLER = "loyalty.entry.handler"
FUNCTION_MEMORY_MB = 256
FUNCTION_TIMEOUT_SECONDS = 25  # above the race budget of loyalty/repository/retry.py, below API Gateway's 29 s
# A scheduled job may run this long; it stops JOB_RESERVE_SECONDS before and the next run resumes.
JOB_TIMEOUT_SECONDS = 900
JOB_RESERVE_SECONDS = 20
# One full vCPU (Lambda scales CPU with memory): a job settles a page on 8 threads and its botocore
# serialisation is CPU-bound; 256 MB would give it a seventh of a core. See docs/deploy.md for the arithmetic.
JOB_MEMORY_MB = 1769
LOG_RETENTION = "ONE_MONTH"  # a name of aws_logs.RetentionDays
# The throughput one tenant must sustain (docs/decisions.md): awards and coupon redemptions per second.
TARGET_AWARDS_PER_SECOND = 10_000
TARGET_REDEMPTIONS_PER_SECOND = 2_000
# A ceiling for EACH method (route) of the stage, not for the stage as a whole: API Gateway applies
# the `*/*` method settings to every method separately. Sized so the busiest route reaches the target;
# what bounds all routes together is the account's regional throttle (10,000/s and burst 5,000 by
# default, shared with every API of the account in the region: raise it for the target, docs/deploy.md).
METHOD_THROTTLE_RATE_PER_SECOND = TARGET_AWARDS_PER_SECOND
METHOD_THROTTLE_BURST = 5000  # the account's default burst; a method's burst cannot exceed the account's
# The default usage plan: each tenant's own API Gateway key starts on it (`loyalty tenant create`), and a
# plan's rate applies to each of its keys, so every tenant gets this much for itself.
DEFAULT_TENANT_RATE_PER_SECOND = 50
DEFAULT_TENANT_BURST = 100
# POST /oauth/token, the one public route (no authorizer, no tenant plan): its own method throttle for the whole
# stage, far below the others'. A client needs a token an hour; a secret has 256 random bits, so guessing is hopeless
# at any rate, and this bounds what a flood of bad credentials costs (docs/deploy.md).
TOKEN_THROTTLE_RATE_PER_SECOND = 50
TOKEN_THROTTLE_BURST = 100
# The id of the key new access tokens are signed with (a table item made at random on first use). Rotate by raising
# it and deploying: tokens signed with the old key stay valid until they expire (1 h), then delete its item.
OAUTH_SIGNING_KEY_ID = 1
# A revoked key is refused within this many seconds; the authorizer answers within its timeout.
AUTHORIZER_CACHE_SECONDS = 60
AUTHORIZER_TIMEOUT_SECONDS = 5
# Python runtime of every function; the Powertools layer must be the build for the same runtime.
PYTHON_RUNTIME = "python3.13"
# Route functions are spread over this many nested stacks by a hash of their operation (never by
# position), so adding a route never moves another; ~9 resources a route keeps each template far
# below CloudFormation's 500-resource limit up to ~250 routes. Changing this number moves routes.
ROUTE_STACKS = 6


def powertools_version() -> str:
    """The aws-lambda-powertools version pinned in pyproject.toml (what the tests run against)."""
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (pin,) = [p for p in pins if p.startswith("aws-lambda-powertools==")]
    return pin.split("==", 1)[1]


def powertools_layer_parameter(version: str | None = None) -> str:
    """AWS's public SSM parameter holding the Powertools layer ARN of that exact version, runtime and arch."""
    return f"/aws/service/powertools/python/arm64/{PYTHON_RUNTIME}/{version or powertools_version()}"
