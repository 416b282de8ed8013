"""Shared test set-up: fake AWS credentials so nothing can reach a real account."""

import os

from tools.local.constants import FAKE_CREDENTIALS

os.environ.update(
    {
        **FAKE_CREDENTIALS,
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
)
os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
os.environ.pop("AWS_PROFILE", None)

# The embedded DynamoDB must be running before any module creates its boto3 client.
from tools.local import embedded_dynamodb

embedded_dynamodb.start()

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

# Hypothesis's timing checks (too_slow, deadlines) fail a correct test on a loaded machine: the shared CI
# and laptop cores decide nothing here (DEVELOPERS: no timed assertions). Every other health check stays.
settings.register_profile("shared-cores", suppress_health_check=[HealthCheck.too_slow], deadline=None)
settings.load_profile("shared-cores")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `early` (the state machines: the ledger's parts, the offers' and vouchers', minutes each)
    first, in their order: `--dist loadgroup` hands work out in collection order, so they start at once on
    every worker and the short tests fill in around them, instead of one long test running alone at the end."""
    items.sort(key=lambda item: item.get_closest_marker("early") is None)


@pytest.fixture(scope="session")
def local_api():
    """The local API on a free port over DynamoDB Local (in memory, one JVM per test process)."""
    from tests.support.local import LocalApiServer

    os.environ["LOYALTY_ACCESS_LOG"] = "0"
    os.environ["LOYALTY_WEBHOOKS_ALLOW_LOCAL"] = "1"  # as `make serve`: receivers on 127.0.0.1 (loyalty/url_guard.py)
    server = LocalApiServer()
    yield server
    server.stop()


@pytest.fixture
def tenant(local_api):
    """A fresh tenant (isolation between tests, as between merchants) with admin, integration and read keys."""
    return local_api.new_tenant()


@pytest.fixture
def fresh_table():
    """The embedded table, emptied: for tests that call services and the repository directly."""
    from loyalty import clock
    from loyalty.services import program

    from tools.local import embedded_dynamodb

    embedded_dynamodb.start()
    embedded_dynamodb.reset()
    program.forget_cache()
    yield
    clock.reset()
    program.forget_cache()


@pytest.fixture
def index_lag():
    """Every secondary-index Query finds nothing during the test, as an index that has not caught up
    with the writes would on AWS (tests/support/index_lag.py); yields the index Queries so answered."""
    from tests.support.index_lag import lagging_indexes

    with lagging_indexes() as lagged:
        yield lagged


@pytest.fixture
def frozen():
    """The clock stopped at 2026-05-01 09:00 UTC for this test (services and the local API read it)."""
    from datetime import UTC, datetime

    from tests.support.frozen_clock import frozen_at

    yield from frozen_at(datetime(2026, 5, 1, 9, 0, tzinfo=UTC))
