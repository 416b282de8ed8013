"""Property-based run of every operation in the generated OpenAPI against the local API: no 5xx, and
every answer matches the document (status codes, content type, schema)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from loyalty.routes import STAGE
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tools.openapi import build_document

schema = schemathesis.openapi.from_dict(build_document())
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def api_tenant(local_api):
    return local_api, local_api.new_tenant("fuzz")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_operation_never_fails_and_matches_the_document(case, api_tenant):
    server, tenant = api_tenant
    response = case.call(
        base_url=f"http://127.0.0.1:{server.port}/{STAGE}",
        headers={"Authorization": f"Bearer {tenant.keys['admin']['key']}"},
    )
    case.validate_response(response, checks=CHECKS)
