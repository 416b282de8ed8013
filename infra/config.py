"""Settings of the deployed stack, each set once here."""

from __future__ import annotations

from loyalty.routes import STAGE as STAGE_NAME

__all__ = ["STAGE_NAME"]
FUNCTION_MEMORY_MB = 256
FUNCTION_TIMEOUT_SECONDS = 25  # above the race budget of loyalty/repository/retry.py, below API Gateway's 29 s
# A scheduled job may run this long; one cut short is resumed by the next run (every step is atomic).
JOB_TIMEOUT_SECONDS = 900
LOG_RETENTION = "ONE_MONTH"  # a name of aws_logs.RetentionDays
THROTTLE_RATE_PER_SECOND = 200
THROTTLE_BURST = 400
AUTHORIZER_CACHE_SECONDS = 300
# Python runtime of every function; the Powertools layer must be the build for the same runtime.
PYTHON_RUNTIME = "python3.13"
# Public Powertools v3 layer (it carries pydantic); override with `-c powertoolsLayerVersion=N`.
POWERTOOLS_LAYER_ACCOUNT = "017000801446"
POWERTOOLS_LAYER_VERSION = "27"
# Routes per nested stack: keeps every template far below CloudFormation's 500-resource limit.
ROUTES_PER_NESTED_STACK = 20


def powertools_layer_arn(region: str, version: str = POWERTOOLS_LAYER_VERSION) -> str:
    runtime = PYTHON_RUNTIME.replace(".", "")
    return (
        f"arn:aws:lambda:{region}:{POWERTOOLS_LAYER_ACCOUNT}:layer:"
        f"AWSLambdaPowertoolsPythonV3-{runtime}-arm64:{version}"
    )
