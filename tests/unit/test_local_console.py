"""The local API's console stays quiet: metrics disabled locally are dropped per request, never printed in bulk."""

import warnings

import pytest


@pytest.mark.usefixtures("fresh_table")
def test_many_requests_print_no_metrics_blob_and_no_empty_metrics_warning(capsys):
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.constants import MAX_METRICS
    from loyalty.services import tenants

    from tools.local.gateway import Gateway

    tenants.create_tenant("quiet", "Quiet")
    headers = {"Authorization": f"Bearer {tenants.issue_key('quiet', ['read'])['key']}"}
    gateway = Gateway()
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        answers = [gateway.handle("GET", "/Production/status", "", headers, b"") for _ in range(MAX_METRICS + 5)]
    statuses = {answer.status for answer in answers}
    assert statuses == {200}
    out = capsys.readouterr().out
    assert '"_aws"' not in out and "Status2xx" not in out, out[:300]
    assert not [w for w in warned if "No application metrics" in str(w.message)]
