"""The cursor secret: one Secrets Manager secret when deployed, read once per container; local default otherwise."""

import boto3
import pytest
from loyalty.errors import Unavailable, ValidationFailed
from loyalty.repository import client as aws_clients
from loyalty.repository import cursor


@pytest.fixture
def forget_secret():
    cursor._secret.cache_clear()
    yield
    cursor._secret.cache_clear()


def test_the_deployed_secret_is_read_once_and_signs_every_cursor(forget_secret, monkeypatch):
    secrets = boto3.client("secretsmanager")
    arn = secrets.create_secret(Name="cursor-test-one", SecretString="s3cr3t-from-secrets-manager")["ARN"]
    reads = []
    real_client = aws_clients.aws_client

    def counting_client(service, *args, **kwargs):
        client = real_client(service, *args, **kwargs)
        client.meta.events.register("before-call.secrets-manager.GetSecretValue", lambda **_: reads.append(1))
        return client

    monkeypatch.setattr(aws_clients, "aws_client", counting_client)
    monkeypatch.setenv("CURSOR_SECRET_ARN", arn)
    query = cursor.query_id("members", {})
    tokens = [cursor.encode("acme", query, {"pk": f"k{i}"}) for i in range(5)]
    assert [cursor.decode("acme", query, t) for t in tokens] == [{"pk": f"k{i}"} for i in range(5)]
    assert reads == [1]

    cursor._secret.cache_clear()
    monkeypatch.delenv("CURSOR_SECRET_ARN")
    with pytest.raises(ValidationFailed):  # signed with the deployed secret, not the local default
        cursor.decode("acme", query, tokens[0])


def test_locally_the_default_or_cursor_secret_signs(forget_secret, monkeypatch):
    monkeypatch.delenv("CURSOR_SECRET_ARN", raising=False)
    monkeypatch.delenv("CURSOR_SECRET", raising=False)
    assert cursor._secret() == cursor.LOCAL_SECRET.encode()
    cursor._secret.cache_clear()
    monkeypatch.setenv("CURSOR_SECRET", "dev-override")
    assert cursor._secret() == b"dev-override"


def test_a_secret_that_cannot_be_read_is_a_503_with_retry_after_and_is_asked_again(forget_secret, monkeypatch):
    """Secrets Manager down or the ARN wrong: the page request is told to retry, not given a 500."""
    secrets = boto3.client("secretsmanager")
    arn = secrets.create_secret(Name="cursor-test-missing", SecretString="later")["ARN"]
    monkeypatch.setenv("CURSOR_SECRET_ARN", arn + "-not-there")
    query = cursor.query_id("members", {})
    with pytest.raises(Unavailable) as refused:
        cursor.encode("acme", query, {"pk": "k"})
    assert refused.value.status == 503 and refused.value.headers["Retry-After"]
    monkeypatch.setenv("CURSOR_SECRET_ARN", arn)  # a failure is not cached: the next request reads the secret
    assert cursor.decode("acme", query, cursor.encode("acme", query, {"pk": "k"})) == {"pk": "k"}


def test_the_secret_client_gives_up_well_before_the_function_times_out(forget_secret, monkeypatch):
    from infra import config

    made = {}
    real_client = aws_clients.aws_client

    def recording_client(service, client_config=None):
        made[service] = client_config
        return real_client(service, client_config)

    monkeypatch.setattr(aws_clients, "aws_client", recording_client)
    monkeypatch.setenv(
        "CURSOR_SECRET_ARN", boto3.client("secretsmanager").create_secret(Name="t", SecretString="s")["ARN"]
    )
    cursor._secret()
    settings = made["secretsmanager"]
    attempts = (settings.retries or {}).get("total_max_attempts", 5)  # botocore's legacy default: 5
    worst = attempts * (settings.connect_timeout + settings.read_timeout)
    assert worst < config.FUNCTION_TIMEOUT_SECONDS / 2
