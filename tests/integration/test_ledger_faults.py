"""Fault injection at the DynamoDB client under the ledger: throttling, conflicts, errors after commit."""

import time

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from loyalty.repository import client as client_module
from loyalty.repository import retry

from tests.support.ledger import activity, assert_ledger_clean, award, balance, member


def inject(monkeypatch, code, *, after_commit=False, reasons=None):
    """Make every TransactWriteItems fail with `code` (after really committing, if asked)."""
    original = client_module.client._make_api_call

    def fake(name, params):
        if name != "TransactWriteItems":
            return original(name, params)
        if after_commit:
            original(name, params)
        error = {"Error": {"Code": code, "Message": "injected"}}
        if reasons:
            error["CancellationReasons"] = [{"Code": reason} for reason in reasons]
        raise ClientError(error, name)

    monkeypatch.setattr(client_module.client, "_make_api_call", fake)


@pytest.fixture
def funded(tenant):
    activity(tenant.admin, "seed", points=100)
    m = member(tenant.integration, "a@example.com")
    assert award(tenant.integration, m, "seed").status == 201
    return tenant, m


def test_throttling_answers_429_with_retry_after_and_moves_nothing(funded, monkeypatch):
    tenant, m = funded
    inject(monkeypatch, "ProvisionedThroughputExceededException")
    reply = tenant.integration.post(f"/members/{m}/deductions", {"points": 10, "reason": "x"})
    assert reply.status == 429 and reply.code == "throttled" and reply.headers["retry-after"]
    monkeypatch.undo()
    assert balance(tenant.read, m)["available"] == 100
    assert len(tenant.read.get(f"/members/{m}/transactions").data) == 1
    assert_ledger_clean(tenant.tenant_id)


def test_lasting_transaction_conflicts_answer_503_with_retry_after_and_move_nothing(funded, monkeypatch):
    tenant, m = funded
    monkeypatch.setattr(retry, "RACE_BUDGET_SECONDS", 0.2)
    inject(monkeypatch, "TransactionCanceledException", reasons=["None", "TransactionConflict"])
    reply = award(tenant.integration, m, "seed")
    assert reply.status == 503 and reply.code == "unavailable" and reply.headers["retry-after"]
    monkeypatch.undo()
    assert balance(tenant.read, m)["available"] == 100
    assert_ledger_clean(tenant.tenant_id)


@pytest.mark.parametrize("path", ["deductions", "awards"])
def test_an_error_after_commit_then_a_retry_with_the_same_key_has_one_effect(funded, monkeypatch, path):
    tenant, m = funded
    body = {"points": 30, "reason": "x"} if path == "deductions" else {"activityId": "seed", "points": 30}
    headers = {"Idempotency-Key": f"retry-{path}"}
    inject(monkeypatch, "InternalServerError", after_commit=True)
    failed = tenant.integration.post(f"/members/{m}/{path}", body, headers=headers)
    assert failed.status == 503 and failed.headers["retry-after"]
    monkeypatch.undo()
    retried = tenant.integration.post(f"/members/{m}/{path}", body, headers=headers)
    assert retried.status == 201 and retried.headers["idempotent-replayed"] == "true"
    assert balance(tenant.read, m)["available"] == (70 if path == "deductions" else 130)
    assert len(tenant.read.get(f"/members/{m}/transactions").data) == 2
    assert_ledger_clean(tenant.tenant_id)


def test_a_condition_that_can_never_hold_answers_409_within_a_second_and_moves_nothing(funded, monkeypatch):
    tenant, m = funded
    inject(monkeypatch, "TransactionCanceledException", reasons=["ConditionalCheckFailed", "None"])
    started = time.monotonic()
    reply = tenant.integration.post(f"/members/{m}/deductions", {"points": 10, "reason": "x"})
    assert time.monotonic() - started < 1
    assert reply.status == 409 and reply.code == "invalid_state"
    monkeypatch.undo()
    assert balance(tenant.read, m)["available"] == 100
    assert_ledger_clean(tenant.tenant_id)


def test_a_read_timeout_of_the_dynamodb_client_answers_503_with_retry_after(funded, monkeypatch):
    tenant, m = funded
    original = client_module.client._make_api_call

    def fake(name, params):
        if name in ("GetItem", "BatchGetItem", "TransactWriteItems") and f"#M#{m}" in str(params):
            raise ReadTimeoutError(endpoint_url="http://dynamodb")
        return original(name, params)

    monkeypatch.setattr(client_module.client, "_make_api_call", fake)
    for reply in (
        tenant.integration.post(f"/members/{m}/deductions", {"points": 10, "reason": "x"}),
        tenant.read.get(f"/members/{m}"),
    ):
        assert reply.status == 503 and reply.code == "unavailable" and reply.headers["retry-after"]
    monkeypatch.undo()
    assert balance(tenant.read, m)["available"] == 100
