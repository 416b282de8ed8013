"""GET /docs on the deployed stack (issue 22 item 2): a public method whose function answers the reference page of
the committed docs/openapi.json, built at synth into the function's asset; the function may only write its logs."""

import importlib.util
import json

import pytest

from infra import config
from infra.constructs import docs
from tools.openapi import DOCUMENT_PATH
from tools.reference_page import HEADERS, render_page

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("cdk")]


def test_docs_is_a_public_get_whose_function_answers_the_page_of_the_committed_document(synthesized):
    (method,) = [p for p in synthesized.props("AWS::ApiGateway::Method") if p["OperationName"] == docs.OPERATION]
    assert (method["HttpMethod"], method["AuthorizationType"], method["ApiKeyRequired"]) == ("GET", "NONE", False)
    resource = synthesized.parent["Resources"][method["ResourceId"]["Ref"]]["Properties"]
    assert resource["PathPart"] == "docs" and resource["ParentId"] == {
        "Fn::GetAtt": [method["RestApiId"]["Ref"], "RootResourceId"]
    }
    ((_, logical, function),) = [
        r
        for r in synthesized.resources("AWS::Lambda::Function")
        if r[2]["Properties"]["Description"] == docs.DESCRIPTION
    ]
    assert {"Fn::GetAtt": [logical, "Arn"]} in method["Integration"]["Uri"]["Fn::Join"][1]
    assert method["Integration"]["Type"] == "AWS_PROXY"
    role = function["Properties"]["Role"]["Fn::GetAtt"][0]
    actions = {
        action
        for policy in synthesized.props("AWS::IAM::Policy")
        if {"Ref": role} in policy["Roles"]
        for statement in policy["PolicyDocument"]["Statement"]
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }
    assert actions == {"logs:CreateLogStream", "logs:PutLogEvents"}
    # the asset as CloudFormation ships it: its handler answers the page of the committed document
    asset = synthesized.outdir / f"asset.{function['Properties']['Code']['S3Key'].removesuffix('.zip')}"
    module_name, _, handler_name = function["Properties"]["Handler"].partition(".")
    spec = importlib.util.spec_from_file_location(module_name, asset / f"{module_name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    answer = getattr(module, handler_name)({"httpMethod": "GET", "path": "/docs/", "headers": None}, None)
    assert answer["statusCode"] == 200
    assert answer["headers"] == {**HEADERS, "Cache-Control": docs.CACHE_CONTROL}
    assert answer["body"] == render_page(json.loads(DOCUMENT_PATH.read_text()))
    outputs = synthesized.parent["Outputs"]
    assert outputs["ReferenceUrl"]["Value"]["Fn::Join"][1][-1] == f"/{config.STAGE_NAME}{docs.PATH}"
