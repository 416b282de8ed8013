"""Everything over the local API runs on DynamoDB Local: each test's DynamoDB calls go to this process's engine."""

import pytest


@pytest.fixture(autouse=True)
def on_dynamodb_local(local_api):
    with local_api.on_engine():
        yield
