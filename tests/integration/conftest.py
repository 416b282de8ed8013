"""Everything over the local API runs on DynamoDB Local: each test's DynamoDB calls go to this process's engine."""

import pytest


@pytest.fixture(autouse=True)
def on_dynamodb_local(local_api):
    with local_api.on_engine():
        yield


@pytest.fixture(autouse=True)
def answers_as_documented():
    """Every answer the test saw fits docs/openapi.json (tests/support/openapi_check.py), also those seen by
    worker threads, whose failure a test might not look at."""
    from tests.support.openapi_check import take_mismatches

    take_mismatches()
    yield
    assert not take_mismatches(), "answers not as docs/openapi.json says (see above)"


def pytest_terminal_summary(terminalreporter):
    """How many answers were checked against docs/openapi.json in this process (none shown under xdist's
    controller, whose workers do the checking)."""
    from tests.support.openapi_check import TALLY

    if TALLY.checked:
        terminalreporter.write_line(
            f"docs/openapi.json: {TALLY.checked} answers checked against the document "
            f"({TALLY.unrouted} to paths off the route table not checked)"
        )


@pytest.fixture
def bulk_tenant(local_api):
    """A fresh tenant for a test that writes thousands of items (the bulk imports), deleted after the test: the
    test-only whole-table Scans (tests/support/local.py) of every later test on this worker stay small."""
    from tests.support.local import purge_tenant

    made = local_api.new_tenant()
    yield made
    purge_tenant(made.tenant_id)
