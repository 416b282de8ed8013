"""GET /docs on the deployed API: the reference page (tools/reference_page.py) of the committed docs/openapi.json.

The page is one self-contained HTML file built at synth; a small function with no table access answers it
(infra/reference_handler.py, shipped as reference.py beside the page). The method has no authorizer, as a
browser sends no API key: the page holds only the public API document. No Docker, no bucket, no custom resource.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import config
from infra.build import BUILD
from infra.constructs.api import LoyaltyApi
from tools.openapi import DOCUMENT_PATH
from tools.reference_page import HEADERS, render_page

PATH = "/docs"
OPERATION = "get_reference_page"
HANDLER = "reference.handler"
DESCRIPTION = f"GET {PATH}: the API reference page"
# Browsers and proxies may keep the page an hour; a deployment with another document is seen within that.
CACHE_CONTROL = "public, max-age=3600"
_SOURCE = Path(__file__).resolve().parent.parent / "reference_handler.py"


def reference_code(document_path: Path = DOCUMENT_PATH) -> Path:
    """The function's asset: reference.py, reference.html and headers.json (build/reference/<digest>/, git-ignored)."""
    files = {
        "reference.py": _SOURCE.read_bytes(),
        "reference.html": render_page(json.loads(document_path.read_text())).encode(),
        "headers.json": json.dumps({**HEADERS, "Cache-Control": CACHE_CONTROL}, indent=2).encode(),
    }
    digest = hashlib.sha256(b"".join(hashlib.sha256(content).digest() for content in files.values())).hexdigest()
    target = BUILD.parent / "reference" / digest[:20]
    if not target.is_dir():
        staging = target.with_name(f".{target.name}.tmp")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for name, content in files.items():
            (staging / name).write_bytes(content)
        try:
            staging.rename(target)
        except OSError:  # another synthesis built the same page first
            shutil.rmtree(staging)
    for old in target.parent.iterdir():  # pages of older documents
        if old.name != target.name and not old.name.startswith("."):
            shutil.rmtree(old, ignore_errors=True)
    return target


class ReferencePage(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, api: LoyaltyApi) -> None:
        super().__init__(scope, construct_id)
        log_group = logs.LogGroup(
            self,
            "Logs",
            retention=getattr(logs.RetentionDays, config.LOG_RETENTION),
            removal_policy=RemovalPolicy.DESTROY,
        )
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Writes its own logs; nothing else",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group.log_group_arn]
            )
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description=DESCRIPTION,
            runtime=lambda_.Runtime(config.PYTHON_RUNTIME, lambda_.RuntimeFamily.PYTHON),
            architecture=lambda_.Architecture.ARM_64,
            handler=HANDLER,
            code=lambda_.Code.from_asset(str(reference_code())),
            memory_size=128,
            timeout=Duration.seconds(10),
            role=role,
            log_group=log_group,
            logging_format=lambda_.LoggingFormat.JSON,
        )
        self.function.add_permission(
            "InvokedByApi",
            principal=iam.ServicePrincipal("apigateway.amazonaws.com"),
            source_arn=f"arn:{Aws.PARTITION}:execute-api:{Aws.REGION}:{Aws.ACCOUNT_ID}:{api.rest_api_id}/*/GET{PATH}",
        )
        self.method = apigw.CfnMethod(
            self,
            "Method",
            rest_api_id=api.rest_api_id,
            resource_id=api.resource_id(PATH),
            http_method="GET",
            authorization_type="NONE",
            api_key_required=False,
            operation_name=OPERATION,
            integration=apigw.CfnMethod.IntegrationProperty(
                type="AWS_PROXY",
                integration_http_method="POST",
                uri=(
                    f"arn:{Aws.PARTITION}:apigateway:{Aws.REGION}:lambda:path/2015-03-31/functions/"
                    f"{self.function.function_arn}/invocations"
                ),
            ),
        )
