"""The deployed import workflow (§14): its bucket, the upload event, the Distributed Map and the roles' reach."""

import json

import pytest
from loyalty.routes import IMPORT_FUNCTIONS, ROUTES

from infra import config, permissions
from infra.constructs import imports
from tests.infra.synth import dynamo_actions, functions_by_description

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("cdk")]


def _only(synth, kind):
    found = synth.resources(kind)
    assert len(found) == 1, [logical for _, logical, _ in found]
    return found[0]


def _definition(synth) -> dict:
    _, _, machine = _only(synth, "AWS::StepFunctions::StateMachine")
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    return json.loads("".join(part if isinstance(part, str) else "ARN" for part in parts))


def _statements(synth, template: str, role_logical: str) -> list[dict]:
    statements = []
    for name, _, policy in synth.resources("AWS::IAM::Policy"):
        if name == template and {"Ref": role_logical} in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _s3_grants(synth, template: str, function: dict) -> dict[str, set[str]]:
    """s3 action → the object paths (after the bucket's ARN) the function's role may act on."""
    grants: dict[str, set[str]] = {}
    for statement in _statements(synth, template, function["Properties"]["Role"]["Fn::GetAtt"][0]):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        for action in (a for a in actions if a.startswith("s3:")):
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            for resource in resources:
                joined = resource["Fn::Join"][1]
                assert joined[0] == {"Fn::GetAtt": [joined[0]["Fn::GetAtt"][0], "Arn"]}, resource  # the bucket
                grants.setdefault(action, set()).add(joined[1])
    return grants


def test_the_bucket_is_encrypted_private_tls_only_and_every_object_expires(synthesized):
    _, logical, bucket = _only(synthesized, "AWS::S3::Bucket")
    props = bucket["Properties"]
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }
    assert props["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
    )
    assert props["NotificationConfiguration"] == {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}
    rules = {rule["Id"]: rule for rule in props["LifecycleConfiguration"]["Rules"]}
    assert {rules[p]["Prefix"]: rules[p]["ExpirationInDays"] for p in ("uploads", "chunks", "reports")} == {
        "uploads/": imports.EXPIRE_UPLOAD_DAYS,
        "chunks/": imports.EXPIRE_UPLOAD_DAYS,
        "reports/": imports.EXPIRE_REPORT_DAYS,
    }
    assert rules["multipart"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert "PUT" in props["CorsConfiguration"]["CorsRules"][0]["AllowedMethods"]
    (policy,) = [p for p in synthesized.props("AWS::S3::BucketPolicy") if p["Bucket"] == {"Ref": logical}]
    (deny,) = policy["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert "Versioning" not in json.dumps(props)
    assert not synthesized.resources("Custom::S3BucketNotifications")  # no helper function to set the events


def test_an_upload_starts_the_state_machine_through_eventbridge(synthesized):
    _, machine, _ = _only(synthesized, "AWS::StepFunctions::StateMachine")
    (rule,) = [r for r in synthesized.props("AWS::Events::Rule") if "EventPattern" in r]
    assert rule["EventPattern"]["source"] == ["aws.s3"]
    assert rule["EventPattern"]["detail-type"] == ["Object Created"]
    assert rule["EventPattern"]["detail"]["object"] == {"key": [{"prefix": "uploads/"}]}
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Ref": machine}
    assert target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0].startswith("ImportsDeadLetters")


def test_the_chunks_run_in_a_distributed_map_with_bounded_concurrency_and_retries_with_backoff(synthesized):
    definition = _definition(synthesized)
    states = definition["States"]
    assert definition["StartAt"] == "Split"
    chunks = states["Chunks"]
    assert chunks["Type"] == "Map"
    assert chunks["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    assert chunks["MaxConcurrency"] == imports.MAX_CONCURRENCY
    assert chunks["ItemReader"]["ReaderConfig"] == {"InputType": "JSON"}  # the manifest: chunk references
    assert chunks["ItemReader"]["Parameters"] == {"Bucket.$": "$.bucket", "Key.$": "$.manifestKey"}
    assert chunks["ItemSelector"]["key.$"] == "$$.Map.Item.Value.key"  # an item is a chunk's key, not its rows
    assert chunks["Catch"][0]["Next"] == "FinishFailed" and chunks["Next"] == "Finish"
    chunk = chunks["ItemProcessor"]["States"]["Chunk"]
    throttled, other = chunk["Retry"]
    assert {"Throttled", "Lambda.TooManyRequestsException"} <= set(throttled["ErrorEquals"])
    assert throttled["BackoffRate"] == 2 and throttled["JitterStrategy"] == "FULL"
    assert throttled["MaxAttempts"] == imports.THROTTLE_RETRIES and throttled["MaxDelaySeconds"] == 60
    assert other["ErrorEquals"] == ["States.ALL"]
    assert states["Over?"]["Type"] == "Choice" and states["ImportFailed"]["Type"] == "Fail"
    _, _, machine = _only(synthesized, "AWS::StepFunctions::StateMachine")
    assert machine["Properties"]["TracingConfiguration"] == {"Enabled": True}
    assert machine["Properties"]["LoggingConfiguration"]["Level"] == "ALL"


def test_max_concurrency_is_a_context_value(tmp_path):
    from tests.infra.synth import Synthesized

    narrow = Synthesized(tmp_path, ROUTES[:1], importMaxConcurrency="5")
    assert _definition(narrow)["States"]["Chunks"]["MaxConcurrency"] == 5
    for bad in ("0", "10001", "-3", "ten", "2.5"):
        with pytest.raises(ValueError, match="importMaxConcurrency= takes a whole number from 1 to 10000"):
            Synthesized(tmp_path / f"bad{bad}", ROUTES[:1], importMaxConcurrency=bad)


def test_each_role_reaches_only_its_prefixes_of_the_bucket_and_its_table_actions(synthesized):
    functions = functions_by_description(synthesized)
    reach = {}
    for function in IMPORT_FUNCTIONS:
        template, _, resource = functions[imports.DESCRIPTIONS[function]]
        assert template == "parent"
        reach[function] = _s3_grants(synthesized, template, resource)
        granted = getattr(permissions, function.upper())
        assert dynamo_actions(synthesized, template, resource) == set(granted), function
        props = resource["Properties"]
        assert props["Environment"]["Variables"]["IMPORT_BUCKET"]["Ref"].startswith("ImportsFiles")
        assert props["MemorySize"] == config.JOB_MEMORY_MB
    assert reach == {
        "split_import": {"s3:GetObject": {"/uploads/*"}, "s3:PutObject": {"/chunks/*"}},
        "import_chunk": {"s3:GetObject": {"/chunks/*"}, "s3:PutObject": {"/reports/*/parts/*"}},
        "finish_import": {"s3:GetObject": {"/reports/*"}, "s3:PutObject": {"/reports/*"}},
    }
    split = functions[imports.DESCRIPTIONS["split_import"]][2]["Properties"]
    assert split["EphemeralStorage"] == {"Size": imports.SPLIT_STORAGE_MB}
    # the routes sign URLs: POST /imports may put uploads only, GET /imports/{importId} read reports only
    for route, expected in (
        ("POST /imports", {"s3:PutObject": {"/uploads/*"}}),
        ("GET /imports/{importId}", {"s3:GetObject": {"/reports/*"}}),
    ):
        template, _, resource = functions[route]
        statements = _statements(synthesized, template, resource["Properties"]["Role"]["Fn::GetAtt"][0])
        s3 = [s for s in statements if str(s["Action"]).startswith("s3:")]
        assert len(s3) == 1, s3
        assert s3[0]["Action"] == next(iter(expected))
        (path,) = expected.values()
        assert s3[0]["Resource"]["Fn::Join"][1][1:] == list(path), s3[0]
    # the state machine's own role reads the manifests (chunks/) and invokes the three functions, nothing else of S3
    _, _, machine = _only(synthesized, "AWS::StepFunctions::StateMachine")
    role = machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    actions = [s for s in _statements(synthesized, "parent", role) if str(s["Action"]).startswith("s3:")]
    assert [(s["Action"], s["Resource"]["Fn::Join"][1][1]) for s in actions] == [("s3:GetObject", "/chunks/*")]
    granted = [s["Action"] for p in synthesized.props("AWS::IAM::Policy") for s in p["PolicyDocument"]["Statement"]]
    assert "s3:*" not in json.dumps(granted)  # (the bucket policy's TLS-only Deny names s3:*)
