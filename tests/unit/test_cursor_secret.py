"""The cursor secret: one Secrets Manager secret when deployed, read once per container; local default otherwise."""

import boto3
import pytest
from loyalty.errors import ValidationFailed
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
