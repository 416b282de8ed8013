"""Idempotent operations and the retry policy: replay byte for byte, key reuse, and every failure class."""

import json
import time

import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError
from loyalty import clock, jsontext
from loyalty.errors import Conflict, IdempotencyKeyReused, Throttled, Unavailable
from loyalty.http import Request, endpoint, fingerprint, parse
from loyalty.models.types import Shape, Text, UtcDateTime
from loyalty.operation import Caller, Operation, Replayed, run
from loyalty.repository import client as client_module
from loyalty.repository import retry, store

from tools.local.gateway import LambdaContext

pytestmark = pytest.mark.usefixtures("fresh_table")
THINGS = "T#acme#THING"


def caller(body, key="k-1", path="/things"):
    return Caller("acme", key, fingerprint("POST", path, body) if key else "")


def create_thing(who, body):
    def attempt(op: Operation):
        (_existing,) = op.read([store.key(THINGS, body["name"])])
        data = {"name": body["name"], "createdAt": clock.iso(clock.now())}
        return op.commit([store.put_new({**store.key(THINGS, body["name"]), **data})], data)

    return run(who, attempt)


class Thing(Shape):
    name: Text


@endpoint(body=Thing, status=201)
def thing_handler(request: Request):
    return create_thing(request.caller, request.body.given())


def post_thing(body, key="k-1"):
    """The thing handler through the HTTP edge, as API Gateway would call it."""
    event = {
        "httpMethod": "POST",
        "path": "/things",
        "headers": {"Content-Type": "application/json", **({"Idempotency-Key": key} if key else {})},
        "requestContext": {"authorizer": {"tenantId": "acme", "scopes": "admin"}},
        "body": json.dumps(body),
    }
    return thing_handler(event, LambdaContext("things", "req-1"))


def test_same_key_and_body_replays_the_first_answer_byte_for_byte():
    first = create_thing(caller({"name": "a"}), {"name": "a"})
    with pytest.raises(Replayed) as replay:
        create_thing(caller({"name": "a"}), {"name": "a"})
    assert replay.value.status == 201 and replay.value.body == jsontext.envelope(first)


def test_the_edge_answers_a_replay_with_the_stored_bytes_and_the_replay_header():
    first = post_thing({"name": "a"})
    again = post_thing({"name": "a"})
    assert first["statusCode"] == again["statusCode"] == 201
    assert again["body"] == first["body"]
    assert again["headers"]["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first["headers"]


class Note(Shape):
    name: Text
    note: Text | None = None
    at: UtcDateTime = None


def test_the_fingerprint_digests_the_fields_given_normalised_so_stored_keys_keep_matching():
    """The edge hands services a model; the fingerprint stays the digest of the fields sent (absent ones left
    out, times normalised, key order and spacing ignored), so records stored before still match."""

    def keyed(body: str | None, shape: type[Shape] | None = Note) -> str:
        event = {
            "httpMethod": "POST",
            "path": "/notes",
            "headers": {"Idempotency-Key": "k-1", "Content-Type": "application/json"},
            "requestContext": {"authorizer": {"tenantId": "acme", "scopes": "admin"}},
            "body": body,
        }
        return parse(event, shape, None).caller.fingerprint

    sent = '{"at": "2019-05-05T13:20:49+02:00",  "name": "a"}'
    assert keyed(sent) == fingerprint("POST", "/notes", {"name": "a", "at": "2019-05-05T11:20:49Z"})
    assert keyed('{"name": "a", "note": null}') != keyed('{"name": "a"}')  # null is given, absent is not
    assert keyed(None, shape=None) == fingerprint("POST", "/notes", {})


def test_same_key_with_another_body_or_path_is_422():
    create_thing(caller({"name": "a"}), {"name": "a"})
    with pytest.raises(IdempotencyKeyReused):
        create_thing(caller({"name": "b"}), {"name": "b"})
    with pytest.raises(IdempotencyKeyReused):
        create_thing(caller({"name": "a"}, path="/other"), {"name": "a"})


def test_replay_window_is_24_hours_then_a_condition_that_cannot_hold_answers_409_at_once():
    from datetime import UTC, datetime

    frozen = clock.FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
    clock.use(frozen)
    create_thing(caller({"name": "a"}), {"name": "a"})
    frozen.advance(hours=24, seconds=1)
    # the record lapsed: the request runs again and meets the natural key the first one wrote, which
    # this operation never checks; the same condition failing on unchanged state is permanent
    started = time.monotonic()
    with pytest.raises(Conflict) as caught:
        create_thing(caller({"name": "a"}), {"name": "a"})
    assert caught.value.status == 409 and time.monotonic() - started < 1


def _inject(monkeypatch, operation_name, error, after=False):
    """Make every call of `operation_name` fail with `error` (after really running, if asked); counts calls."""
    original = client_module.client._make_api_call
    calls = []

    def fake(name, params):
        if name == operation_name:
            calls.append(name)
            if after:
                original(name, params)
            raise error() if callable(error) else error
        return original(name, params)

    monkeypatch.setattr(client_module.client, "_make_api_call", fake)
    return calls


def _client_error(code, name="TransactWriteItems", reasons=None):
    response = {"Error": {"Code": code, "Message": "injected"}}
    if reasons:
        response["CancellationReasons"] = [{"Code": reason} for reason in reasons]
    return lambda: ClientError(response, name)


def test_throttling_is_retried_then_a_429_with_retry_after_and_writes_nothing(monkeypatch):
    calls = _inject(monkeypatch, "TransactWriteItems", _client_error("ProvisionedThroughputExceededException"))
    with pytest.raises(Throttled) as caught:
        create_thing(caller({"name": "a"}), {"name": "a"})
    assert caught.value.status == 429 and caught.value.headers["Retry-After"]
    assert len(calls) > 1, "throttling is transient: retried within the budget"
    monkeypatch.undo()
    assert store.get(store.key(THINGS, "a")) is None


def test_an_error_after_commit_is_not_sent_again_and_a_retry_with_the_same_key_has_one_effect(monkeypatch):
    calls = _inject(monkeypatch, "TransactWriteItems", _client_error("InternalServerError"), after=True)
    with pytest.raises(Unavailable) as caught:
        create_thing(caller({"name": "a"}), {"name": "a"})
    assert caught.value.status == 503 and caught.value.headers["Retry-After"]
    assert len(calls) == 1, "a write whose outcome is unknown is never sent twice"
    monkeypatch.undo()
    with pytest.raises(Replayed) as replay:
        create_thing(caller({"name": "a"}), {"name": "a"})
    assert replay.value.status == 201
    items, _ = store.query(("pk", THINGS))
    assert len(items) == 1


@pytest.mark.parametrize(
    "error",
    [
        lambda: EndpointConnectionError(endpoint_url="http://dynamodb"),
        lambda: ConnectTimeoutError(endpoint_url="http://dynamodb"),
        lambda: ReadTimeoutError(endpoint_url="http://dynamodb"),
    ],
)
@pytest.mark.parametrize("operation_name", ["GetItem", "TransactWriteItems"])
def test_a_timeout_or_connection_error_answers_503_with_retry_after_not_500(monkeypatch, error, operation_name):
    calls = _inject(monkeypatch, operation_name, error)
    # without a key the read is a plain GetItem of the natural key; with one, a BatchGetItem
    answer = post_thing({"name": "a"}, key=None if operation_name == "GetItem" else "k-1")
    assert answer["statusCode"] == 503, answer
    assert answer["headers"]["Retry-After"] and json.loads(answer["body"])["error"]["code"] == "unavailable"
    never_sent = not isinstance(error(), ReadTimeoutError)
    if operation_name == "GetItem" or never_sent:
        assert len(calls) > 1, "a read, or a request that never reached DynamoDB, is retried"
    else:
        assert len(calls) == 1, "a write that may have been applied is not sent again"


@pytest.mark.parametrize(
    "error",
    [
        _client_error("TransactionCanceledException", reasons=["ValidationError", "None"]),
        _client_error("TransactionCanceledException", reasons=["None", "ItemCollectionSizeLimitExceeded"]),
        _client_error("ValidationException"),
    ],
)
def test_a_validation_cancellation_is_not_retried_and_is_a_logged_500(monkeypatch, error):
    calls = _inject(monkeypatch, "TransactWriteItems", error)
    with pytest.raises(retry.Rejected):
        create_thing(caller({"name": "a"}), {"name": "a"})
    assert len(calls) == 1
    answer = post_thing({"name": "b"}, key="k-2")
    assert answer["statusCode"] == 500 and len(calls) == 2
    assert json.loads(answer["body"])["error"]["code"] == "internal_error"


def test_a_condition_failing_on_unchanged_state_is_permanent_and_answered_within_a_second(monkeypatch):
    calls = _inject(
        monkeypatch,
        "TransactWriteItems",
        _client_error("TransactionCanceledException", reasons=["ConditionalCheckFailed"]),
    )
    started = time.monotonic()
    answer = post_thing({"name": "a"})
    assert time.monotonic() - started < 1
    assert answer["statusCode"] == 409 and json.loads(answer["body"])["error"]["code"] == "invalid_state"
    assert len(calls) == retry.PERMANENT_AFTER == 3, "re-read and decide again twice, then the failure is permanent"


def test_a_condition_failing_twice_on_the_same_state_and_then_holding_commits(monkeypatch):
    """Two failures with one signature are not proof: a read that saw a transaction half applied (a
    BatchGetItem is not isolated from it) sees it whole on the settled third try, which commits."""
    original = client_module.client._make_api_call
    failures = []

    def fake(name, params):
        if name == "TransactWriteItems" and len(failures) < 2:
            failures.append(name)
            raise _client_error("TransactionCanceledException", reasons=["ConditionalCheckFailed"])()
        return original(name, params)

    monkeypatch.setattr(client_module.client, "_make_api_call", fake)
    answer = post_thing({"name": "a"})
    assert len(failures) == 2
    assert answer["statusCode"] == 201, answer


def test_lasting_transaction_conflicts_are_retried_within_the_budget_then_503(monkeypatch):
    monkeypatch.setattr(retry, "RACE_BUDGET_SECONDS", 0.2)
    calls = _inject(
        monkeypatch,
        "TransactWriteItems",
        _client_error("TransactionCanceledException", reasons=["TransactionConflict"]),
    )
    with pytest.raises(Unavailable) as caught:
        create_thing(caller({"name": "a"}), {"name": "a"})
    assert caught.value.headers["Retry-After"] and len(calls) > 1
