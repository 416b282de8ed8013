"""Webhook delivery (services/webhook_delivery.py) on the embedded table against a receiver on 127.0.0.1 that
verifies with the `standardwebhooks` package: fan-out at most once, retries with the same webhook-id and a fresh
signature, 410 disables, Retry-After, the schedule's end, a message handled twice records once, retry by hand.
The endpoint store is a stand-in with the agreed interface (services/webhooks.py is tested on its own)."""

import base64
import json
import os
import threading
import time
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from loyalty import ids
from loyalty.caller import Caller
from loyalty.errors import Conflict, NotFound
from loyalty.repository import deliveries, delivery_queue
from loyalty.repository import events as events_db
from loyalty.repository import store as table
from loyalty.services import webhook_delivery
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

pytestmark = pytest.mark.usefixtures("fresh_table")
TENANT = "hooked"


@dataclass(frozen=True)
class Endpoint:
    tenant_id: str
    webhook_id: str
    url: str
    events: tuple
    enabled: bool
    secrets: tuple
    failing_since: str | None

    def subscribes_to(self, event_type):
        return "*" in self.events or event_type in self.events


class Endpoints:
    """The agreed interface of services/webhooks.py, in memory."""

    def __init__(self):
        self.by_id, self.outcomes, self.disabled = {}, [], []

    def add(self, url, events=("*",)):
        secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
        made = Endpoint(TENANT, "wh_" + ids.ulid(), url, tuple(events), True, (secret,), None)
        self.by_id[made.webhook_id] = made
        return made

    def enabled_endpoints(self, tenant_id):
        return [e for e in self.by_id.values() if e.tenant_id == tenant_id and e.enabled]

    def endpoint(self, tenant_id, webhook_id):
        if webhook_id not in self.by_id:
            raise NotFound("no such endpoint")
        return self.by_id[webhook_id]

    def record_outcome(self, tenant_id, webhook_id, ok, at):
        self.outcomes.append(ok)
        failing = None if ok else (self.by_id[webhook_id].failing_since or at)
        self.by_id[webhook_id] = replace(self.by_id[webhook_id], failing_since=failing)

    def disable(self, tenant_id, webhook_id, reason):
        self.disabled.append(reason)
        self.by_id[webhook_id] = replace(self.by_id[webhook_id], enabled=False)


class Receiver:
    """A receiver on 127.0.0.1 answering from a script (then 204), verifying every request it gets."""

    def __init__(self):
        self.script, self.seen, self.secret = [], [], None
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    Webhook(outer.secret).verify(body, headers)
                    verified = True
                except WebhookVerificationError:
                    verified = False
                outer.seen.append((headers, json.loads(body), verified))
                status, extra = outer.script.pop(0) if outer.script else (204, {})
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def world(monkeypatch):
    store = Endpoints()
    monkeypatch.setattr(webhook_delivery, "_webhooks", lambda: store)
    monkeypatch.setattr(webhook_delivery, "_check_url", lambda url: ["127.0.0.1"])
    monkeypatch.setenv("LOYALTY_WEBHOOK_SCHEDULE", "0.1,0.1,0.1")
    receiver = Receiver()
    endpoint = store.add(receiver.url)
    receiver.secret = endpoint.secrets[0]
    yield store, receiver, endpoint
    receiver.close()


def event(n=1, type_="points.awarded"):
    """An event, stored as the stream consumer stores it (a delivery reads it by key at each attempt)."""
    moment = ids.ulid()
    made = {
        "id": f"evt_{moment}",
        "type": type_,
        "timestamp": "2099-01-01T00:00:00Z",
        "tenantId": TENANT,
        "data": {"points": n},
    }
    assert events_db.put_new(events_db.item(TENANT, made, moment, None, 4102444800))
    return made


def drain(seconds=10.0):
    """Run the local queue until it is empty (or `seconds` pass): the delivery worker's loop, inline."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        messages = delivery_queue.receive(10, 30)
        for message in messages:
            if not webhook_delivery.handle([message]):
                delivery_queue.ack(message["receipt"])
        if not messages:
            if not delivery_queue.pending():
                return
            time.sleep(0.05)
    raise AssertionError("the queue did not drain")


def only_delivery(endpoint):
    found = deliveries.of_webhook(TENANT, endpoint.webhook_id).all()
    assert len(found) == 1
    return webhook_delivery.shown(found[0])


def test_an_event_fanned_out_twice_is_one_delivery_verified_by_the_receiver(world):
    store, receiver, endpoint = world
    other = store.add(receiver.url, events=("member.created",))  # not subscribed to points.awarded
    one = event()
    assert webhook_delivery.fan_out([one]) == 1
    assert webhook_delivery.fan_out([one]) == 0  # the batch processed again
    drain()
    assert [(h["webhook-id"], body, ok) for h, body, ok in receiver.seen] == [(one["id"], one, True)]
    shown = only_delivery(endpoint)
    assert shown["status"] == "succeeded" and shown["attempts"] == 1 and shown["lastStatusCode"] == 204
    assert shown["deliveryId"] == deliveries.delivery_id(one["id"], endpoint.webhook_id)
    assert deliveries.of_webhook(TENANT, other.webhook_id).all() == []


def test_three_500s_then_delivered_on_the_fourth_with_the_same_id_and_fresh_signatures(world):
    store, receiver, endpoint = world
    receiver.script = [(500, {})] * 3
    one = event()
    webhook_delivery.fan_out([one])
    drain()
    assert [h["webhook-id"] for h, _, _ in receiver.seen] == [one["id"]] * 4
    assert all(ok for _, _, ok in receiver.seen)
    shown = only_delivery(endpoint)
    assert (shown["status"], shown["attempts"]) == ("succeeded", 4)
    assert [a["statusCode"] for a in shown["attemptLog"]] == [500, 500, 500, 204]
    assert store.outcomes == [False, False, False, True]


def test_the_schedule_spent_fails_the_delivery(world):
    _store, receiver, endpoint = world
    receiver.script = [(503, {})] * 10
    webhook_delivery.fan_out([event()])
    drain()
    shown = only_delivery(endpoint)
    assert (shown["status"], shown["attempts"], shown["nextAttemptAt"]) == ("failed", 4, None)  # 1 + 3 retries


def test_a_410_disables_the_endpoint_and_fails_the_delivery(world):
    store, receiver, endpoint = world
    receiver.script = [(410, {})]
    webhook_delivery.fan_out([event(1), event(2)])
    drain()
    assert store.disabled and store.disabled[0] == "gone"
    statuses = sorted(
        webhook_delivery.shown(d)["status"] for d in deliveries.of_webhook(TENANT, endpoint.webhook_id).all()
    )
    assert statuses == ["failed", "failed"]  # the second stopped without an attempt once the endpoint was disabled


def test_a_redirect_is_a_failure_not_followed(world):
    _store, receiver, endpoint = world
    receiver.script = [(302, {"Location": "http://127.0.0.1:9/elsewhere"})]
    webhook_delivery.fan_out([event()])
    drain()
    shown = only_delivery(endpoint)
    assert [a["statusCode"] for a in shown["attemptLog"]] == [302, 204]


def test_retry_after_is_honoured(world):
    _store, receiver, endpoint = world
    receiver.script = [(429, {"Retry-After": "2"})]
    webhook_delivery.fan_out([event()])
    drain()
    first, second = [a for a in only_delivery(endpoint)["attemptLog"]]
    gap = (
        webhook_delivery.clock.parse_iso(second["at"]) - webhook_delivery.clock.parse_iso(first["at"])
    ).total_seconds()
    assert gap >= 1  # seconds precision: at least 2 s after the first attempt ended, not the schedule's 0.1


def test_retry_after_forms():
    now = 1_800_000_000.0
    assert webhook_delivery.retry_after("120", now) == 120
    assert webhook_delivery.retry_after("999999999", now) == webhook_delivery.RETRY_AFTER_MOST
    assert webhook_delivery.retry_after("Fri, 15 Jan 2027 08:00:30 GMT", 1800000000.0) == 30.0
    assert webhook_delivery.retry_after("soon", now) is None and webhook_delivery.retry_after(None, now) is None
    for odd in ("²", "٣", "1e3", "-5", ""):  # a receiver's header, whatever it holds, is no crash
        assert webhook_delivery.retry_after(odd, now) is None


def test_a_message_handled_twice_records_one_attempt(world):
    _store, receiver, endpoint = world
    webhook_delivery.fan_out([event()])
    [message] = delivery_queue.receive(10, 30)
    body = json.loads(message["body"])
    assert webhook_delivery.attempt(body) == "succeeded"
    assert webhook_delivery.attempt(body) == "dropped"  # SQS delivered it again: no second send, no second count
    delivery_queue.ack(message["receipt"])
    assert only_delivery(endpoint)["attempts"] == 1 and len(receiver.seen) == 1


def test_a_retry_by_hand_sends_again_with_the_same_id_and_another_endpoints_delivery_is_404(world):
    store, receiver, endpoint = world
    one = event()
    webhook_delivery.fan_out([one])
    drain()
    delivery = only_delivery(endpoint)["deliveryId"]
    again = webhook_delivery.retry(Caller(TENANT, admin=True), endpoint.webhook_id, delivery)
    assert again["status"] == "pending"
    drain()
    assert [h["webhook-id"] for h, _, _ in receiver.seen] == [one["id"], one["id"]]
    assert only_delivery(endpoint)["attempts"] == 2
    other = store.add(receiver.url)
    with pytest.raises(NotFound):
        webhook_delivery.retry(Caller(TENANT, admin=True), other.webhook_id, delivery)


def test_a_deleted_endpoint_stops_its_deliveries(world):
    store, receiver, endpoint = world
    webhook_delivery.fan_out([event()])
    del store.by_id[endpoint.webhook_id]
    drain()
    [item] = deliveries.of_webhook(TENANT, endpoint.webhook_id).all()
    assert (item["status"], item["attempts"], item["stoppedReason"]) == ("failed", 0, "endpoint_deleted")
    assert receiver.seen == []


class FakeSqs:
    def __init__(self):
        self.sent = []

    def send_message(self, **request):
        self.sent.append(request)

    def send_message_batch(self, QueueUrl, Entries):
        assert len(Entries) <= 10
        for entry in Entries:
            self.sent.append({"QueueUrl": QueueUrl, "MessageBody": entry["MessageBody"], "DelaySeconds": 0})
        return {"Successful": [{"Id": e["Id"]} for e in Entries]}


def test_deployed_the_queue_is_sqs_with_at_most_15_minutes_of_delay_and_the_rest_waits_again(world, monkeypatch):
    sqs = FakeSqs()
    monkeypatch.setenv("WEBHOOK_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/WebhookDeliveries")
    monkeypatch.setattr(delivery_queue, "_sqs", [sqs])
    _store, receiver, _endpoint = world
    webhook_delivery.fan_out([event()])
    [first] = sqs.sent
    assert first["DelaySeconds"] == 0 and first["QueueUrl"].endswith("/WebhookDeliveries")
    message = json.loads(first["MessageBody"])
    delivery_queue.send(message, 3 * 3600)  # a 3-hour backoff: SQS delays 15 minutes, the consumer the rest
    later = sqs.sent[-1]
    assert later["DelaySeconds"] == 900
    assert webhook_delivery.attempt(json.loads(later["MessageBody"])) == "later"
    again = sqs.sent[-1]
    assert again["DelaySeconds"] == 900 and json.loads(again["MessageBody"])["notBefore"] > time.time() + 3 * 3600 - 60
    assert receiver.seen == []


def test_the_consumer_reports_only_the_messages_that_failed(world):
    from functions.deliver_webhooks import app
    from tools.local.gateway import LambdaContext

    _store, receiver, _endpoint = world
    webhook_delivery.fan_out([event()])
    [message] = delivery_queue.receive(10, 30)
    records = [
        {"messageId": "good", "body": message["body"]},
        {"messageId": "bad", "body": "not json"},
    ]
    answer = app.handler({"Records": records}, LambdaContext("deliver_webhooks", "test"))
    assert answer == {"batchItemFailures": [{"itemIdentifier": "bad"}]}
    assert len(receiver.seen) == 1


def test_each_attempt_sends_the_event_as_stored_then_an_erasure_redacted_it(world):
    _store, receiver, endpoint = world
    receiver.script = [(500, {})]
    one = event()
    webhook_delivery.fan_out([one])
    (first,) = delivery_queue.receive(10, 30)
    assert webhook_delivery.handle([first]) == []  # the first attempt: 500
    delivery_queue.ack(first["receipt"])
    redacted = {**one, "data": {"points": 1, "email": None}}
    table.transact([events_db.replace_event(TENANT, one["id"], redacted)])
    drain()
    assert [body for _, body, ok in receiver.seen if ok] == [one, redacted]
    assert "body" not in deliveries.get(TENANT, only_delivery(endpoint)["deliveryId"])  # no copy of the event


def test_a_delivery_whose_event_is_gone_fails_without_an_attempt(world):
    _store, receiver, endpoint = world
    one = event()
    webhook_delivery.fan_out([one])
    table.transact([table.delete(events_db.key(TENANT, one["id"]))])  # past the 30 days (TTL)
    drain()
    shown = only_delivery(endpoint)
    assert (shown["status"], shown["attempts"], shown["stoppedReason"], receiver.seen) == (
        "failed",
        0,
        "event_expired",
        [],
    )


def test_an_answer_trickled_past_the_timeout_fails_the_attempt(monkeypatch):
    """TIMEOUT bounds the whole attempt, not each read: a status line, then a header every 0.3 s, forever."""
    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def trickle():
        conn, _ = listener.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        while not stop.wait(0.3):
            try:
                conn.sendall(b"X-Slow: 1\r\n")
            except OSError:
                break
        conn.close()

    threading.Thread(target=trickle, daemon=True).start()
    monkeypatch.setattr(webhook_delivery, "TIMEOUT", 1.0)
    began = time.monotonic()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
    status, _, error = webhook_delivery.post(url, "{}", {"content-type": "application/json"})
    took = time.monotonic() - began
    stop.set()
    listener.close()
    assert (status, error) == (None, "no whole answer within 1 s") and 1.0 <= took < 3.0


def test_a_retry_on_a_disabled_endpoint_is_refused_and_changes_nothing(world):
    store, _receiver, endpoint = world
    webhook_delivery.fan_out([event()])
    drain()
    before = only_delivery(endpoint)
    store.disable(TENANT, endpoint.webhook_id, "paused")
    with pytest.raises(Conflict) as refused:
        webhook_delivery.retry(Caller(TENANT, admin=True), endpoint.webhook_id, before["deliveryId"])
    assert refused.value.code == "invalid_state"
    assert only_delivery(endpoint) == before and before["status"] == "succeeded" and not delivery_queue.pending()
