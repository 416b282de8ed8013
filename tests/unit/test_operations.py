"""Idempotent operations and DynamoDB failures: replay byte for byte, key reuse, throttling, conflicts."""

import pytest
from botocore.exceptions import ClientError
from loyalty import clock
from loyalty.errors import IdempotencyKeyReused, Throttled, Unavailable
from loyalty.http import Request
from loyalty.operation import Operation, run
from loyalty.repository import client as client_module
from loyalty.repository import store

pytestmark = pytest.mark.usefixtures("fresh_table")


def request(body, key="k-1", path="/things"):
    return Request("acme", frozenset({"admin"}), "key", "POST", path, {}, {}, body, key)


def create_thing(req):
    def attempt(op: Operation):
        (_existing,) = op.read([store.key("T#acme#THING", req.body["name"])])
        data = {"name": req.body["name"], "createdAt": clock.iso(clock.now())}
        return op.commit([store.put_new({**store.key("T#acme#THING", req.body["name"]), **data})], data)

    return run(req, attempt)


def test_same_key_and_body_replays_the_first_answer_byte_for_byte():
    first = create_thing(request({"name": "a"}))
    again = create_thing(request({"name": "a"}))
    assert first.status == again.status == 201
    assert again.body == first.body
    assert again.headers == {"Idempotent-Replayed": "true"}
    assert "Idempotent-Replayed" not in first.headers


def test_same_key_with_another_body_or_path_is_422():
    create_thing(request({"name": "a"}))
    with pytest.raises(IdempotencyKeyReused):
        create_thing(request({"name": "b"}))
    with pytest.raises(IdempotencyKeyReused):
        create_thing(request({"name": "a"}, path="/other"))


def test_replay_window_is_24_hours():
    from datetime import UTC, datetime

    frozen = clock.FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
    clock.use(frozen)
    create_thing(request({"name": "a"}))
    frozen.advance(hours=24, seconds=1)
    # the record lapsed: the request runs again (and here meets the natural key the first one wrote)
    with pytest.raises(Unavailable):
        import loyalty.operation as operation

        operation.RETRY_BUDGET_SECONDS, saved = 0.05, operation.RETRY_BUDGET_SECONDS
        try:
            create_thing(request({"name": "a"}))
        finally:
            operation.RETRY_BUDGET_SECONDS = saved


def _failing(monkeypatch, operation_name, code, after=False):
    original = client_module.client._make_api_call
    calls = []

    def fake(name, params):
        if name == operation_name:
            calls.append(name)
            if after:
                original(name, params)
                raise ClientError({"Error": {"Code": code, "Message": "injected"}}, name)
            raise ClientError({"Error": {"Code": code, "Message": "injected"}}, name)
        return original(name, params)

    monkeypatch.setattr(client_module.client, "_make_api_call", fake)
    return calls


def test_throttling_is_a_429_with_retry_after_and_writes_nothing(monkeypatch):
    _failing(monkeypatch, "TransactWriteItems", "ProvisionedThroughputExceededException")
    with pytest.raises(Throttled) as caught:
        create_thing(request({"name": "a"}))
    assert caught.value.status == 429 and caught.value.headers["Retry-After"]
    monkeypatch.undo()
    assert store.get(store.key("T#acme#THING", "a")) is None


def test_error_after_commit_then_retry_with_same_key_has_one_effect(monkeypatch):
    _failing(monkeypatch, "TransactWriteItems", "InternalServerError", after=True)
    with pytest.raises(Unavailable) as caught:
        create_thing(request({"name": "a"}))
    assert caught.value.status == 503 and caught.value.headers["Retry-After"]
    monkeypatch.undo()
    retried = create_thing(request({"name": "a"}))
    assert retried.status == 201 and retried.headers == {"Idempotent-Replayed": "true"}
    items, _ = store.query(("pk", "T#acme#THING"))
    assert len(items) == 1
