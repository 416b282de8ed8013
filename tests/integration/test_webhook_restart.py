"""`loyalty serve` killed mid-delivery and started again still delivers every event (duplicates allowed, the same
webhook-id): the deliveries and their queue are items of the table, the stream is read again from its checkpoint, and a
message the killed worker had claimed is due again once its visibility lapses (tools/local/delivery.py)."""

import os
import signal
import time

import pytest

from tests.integration.test_serve_engine import Serve, _alive
from tests.support.webhook_receiver import Receiver
from tools.local import dynamodb_local

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(dynamodb_local.unavailable_reason() is not None, reason="DynamoDB Local needs Java"),
]
AWARDS = 8


def _stop_engine(pid):
    """The engine of the killed serve, stopped as serve stops it (SIGTERM: it keeps what it acknowledged)."""
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 90
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(pid)


def test_serve_killed_mid_delivery_and_restarted_delivers_every_event(tmp_path, monkeypatch):
    monkeypatch.setenv("LOYALTY_WEBHOOK_SCHEDULE", "0.5,1,1,2,2,3")
    monkeypatch.setenv("LOYALTY_WEBHOOK_VISIBILITY", "3")
    receiver = Receiver(delay=0.5)  # a slow receiver: attempts are in flight when serve is killed
    serve = Serve(tmp_path)
    killed = False
    try:
        demo = serve.client()
        made = demo.post("/webhooks", {"url": receiver.url, "events": ["points.awarded"]})
        assert made.status == 201, made.text
        receiver.secret = made.data["secret"]
        assert demo.post("/activities", {"activityId": "visit", "name": "Visit", "points": 5}).status == 201
        member = demo.post("/members", {"email": "restart@example.com"}).data["memberId"]
        awarded = {
            demo.post(f"/members/{member}/awards", {"activityId": "visit"}).data["transactionId"] for _ in range(AWARDS)
        }
        receiver.wait_for(lambda r: len(r.seen) >= 2, 60)
        serve.process.send_signal(signal.SIGKILL)
        serve.process.wait(timeout=30)
        killed = True
        _stop_engine(serve.engine_pid)
        assert len({s["id"] for s in receiver.delivered()}) < AWARDS, "killed too late: everything was delivered"
    finally:
        if not killed:
            serve.stop()

    again = Serve(tmp_path)
    try:
        receiver.wait_for(lambda r: len({s["id"] for s in r.delivered()}) == AWARDS, 120)
        assert all(s["verified"] for s in receiver.seen)
        assert {s["event"]["data"]["transactionId"] for s in receiver.delivered()} == awarded
        by_id = {}
        for seen in receiver.seen:  # duplicates are allowed, under the same id with the same event
            assert by_id.setdefault(seen["id"], seen["event"]) == seen["event"]
    finally:
        again.stop()
        receiver.close()
