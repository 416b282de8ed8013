"""Webhook delivery over the local API on DynamoDB Local, as `make serve` runs it: the table's stream feeds the event
builder, which fans events out to deliveries, which the delivery worker attempts from the durable queue on the
table. A receiver on 127.0.0.1 verifies every request with the `standardwebhooks` package (tests/support).

One webhook per state change of a scripted scenario, with the right type and data; 500 three times then delivered
on the 4th with the same webhook-id (GET …/deliveries shows the 4 attempts); a receiver down for the whole scenario
then up gets everything; 410 disables the endpoint; Retry-After is honoured; a retry by hand sends the same id."""

import itertools
import time
from collections import Counter
from datetime import timedelta

import pytest
from botocore.session import Session
from loyalty import clock
from loyalty.caller import Caller
from loyalty.models.webhooks import WebhookCreate
from loyalty.repository.client import client, table_name
from loyalty.services import jobs, webhooks

from tests.integration.test_events import EXPECTED, scenario
from tests.support.local import ok
from tests.support.webhook_receiver import Receiver
from tools.local.delivery import DeliveryWorker
from tools.local.stream import StreamPoller

SCHEDULE = "0.3,0.5,1,1,2,2,3,3,5,5,5,5"  # seconds: about 33 s of retries


@pytest.fixture
def delivering(local_api, on_dynamodb_local, monkeypatch):
    """The stream poller and the delivery worker of `make serve`, on this process's engine."""
    monkeypatch.setenv("LOYALTY_WEBHOOKS_ALLOW_LOCAL", "1")
    monkeypatch.setenv("LOYALTY_WEBHOOK_SCHEDULE", SCHEDULE)
    streams = Session().create_client(
        "dynamodbstreams", region_name=client.meta.region_name, endpoint_url=local_api.engine.endpoint
    )
    poller = StreamPoller(client, streams, table_name())
    poller.poll()  # what earlier tests left in the stream is read before this test's changes
    poller.start()
    worker = DeliveryWorker().start()
    receivers = []
    yield receivers
    poller.stop()
    worker.stop()
    for receiver in receivers:
        receiver.close()


def endpoint_for(tenant, receiver, events=("*",)):
    made = webhooks.create_webhook(
        Caller(tenant.tenant_id, admin=True), WebhookCreate(url=receiver.url, events=list(events))
    )
    receiver.secret = made["secret"]
    return made["webhookId"]


def test_a_scenario_makes_one_verified_webhook_per_state_change(tenant, delivering):
    receiver = Receiver()
    delivering.append(receiver)
    endpoint_for(tenant, receiver)
    scenario(tenant)
    total = sum(EXPECTED.values())
    receiver.wait_for(lambda r: len({s["id"] for s in r.delivered()}) >= total, 120)
    delivered = {s["id"]: s for s in receiver.delivered()}
    assert Counter(s["event"]["type"] for s in delivered.values()) == EXPECTED
    assert all(s["verified"] for s in receiver.seen)
    for event_id, seen in delivered.items():
        assert seen["event"]["id"] == event_id and seen["event"]["tenantId"] == tenant.tenant_id
        stored = ok(200, tenant.admin.get(f"/events/{event_id}")).data
        assert stored["type"] == seen["event"]["type"] and stored["timestamp"] == seen["event"]["timestamp"]
        if seen["event"]["type"] != "member.erased" and "memberId" not in stored["data"]:
            assert stored["data"] == seen["event"]["data"]


_emails = itertools.count()


def _member(tenant):
    email = f"hooked{next(_emails)}@example.com"
    return ok(201, tenant.admin.post("/members", {"email": email})).data["memberId"]


def test_three_500s_then_the_fourth_attempt_delivers_with_the_same_id(tenant, delivering):
    receiver = Receiver()
    delivering.append(receiver)
    receiver.script = [(500, {})] * 3
    webhook = endpoint_for(tenant, receiver, ["member.created"])
    _member(tenant)
    receiver.wait_for(lambda r: r.delivered())
    assert len(receiver.seen) == 4 and len({s["id"] for s in receiver.seen}) == 1
    assert all(s["verified"] for s in receiver.seen)  # each attempt signed afresh
    [delivery] = ok(200, tenant.admin.get(f"/webhooks/{webhook}/deliveries")).data
    assert (delivery["status"], delivery["attempts"], delivery["lastStatusCode"]) == ("succeeded", 4, 204)
    assert [a["statusCode"] for a in delivery["attemptLog"]] == [500, 500, 500, 204]
    assert delivery["eventId"] == receiver.seen[0]["id"] and delivery["type"] == "member.created"

    again = ok(200, tenant.admin.post(f"/webhooks/{webhook}/deliveries/{delivery['deliveryId']}/retry"))
    assert again.data["status"] == "pending"
    receiver.wait_for(lambda r: len(r.delivered()) == 2)
    assert {s["id"] for s in receiver.seen} == {delivery["eventId"]}
    other = endpoint_for(tenant, Receiver(start=False))
    missing = tenant.admin.post(f"/webhooks/{other}/deliveries/{delivery['deliveryId']}/retry")
    assert missing.status == 404


def test_a_receiver_down_for_the_whole_scenario_then_up_gets_every_event(tenant, delivering):
    receiver = Receiver(start=False)
    delivering.append(receiver)
    webhook = endpoint_for(tenant, receiver, ["member.created", "points.awarded"])
    ok(201, tenant.admin.post("/activities", {"activityId": "visit", "name": "Visit", "points": 5}))
    members = [
        ok(201, tenant.admin.post("/members", {"email": f"d{i}@example.com"})).data["memberId"] for i in range(5)
    ]
    for member in members:
        ok(201, tenant.admin.post(f"/members/{member}/awards", {"activityId": "visit"}))

    def all_tried(_):
        listed = tenant.admin.get(f"/webhooks/{webhook}/deliveries?limit=100").data
        return len(listed) == 10 and all(d["attempts"] >= 1 for d in listed)

    receiver.wait_for(all_tried, 60)
    receiver.start()
    receiver.wait_for(lambda r: len({s["id"] for s in r.delivered()}) == 10, 60)
    listed = tenant.admin.get(f"/webhooks/{webhook}/deliveries?limit=100").data
    assert {d["status"] for d in listed} == {"succeeded"} and all(d["attempts"] >= 2 for d in listed)


def test_a_410_disables_the_endpoint(tenant, delivering):
    receiver = Receiver()
    delivering.append(receiver)
    receiver.script = [(410, {})]
    webhook = endpoint_for(tenant, receiver, ["member.created"])
    _member(tenant)
    receiver.wait_for(lambda r: r.seen)

    def failed(_):
        listed = tenant.admin.get(f"/webhooks/{webhook}/deliveries").data
        return listed and listed[0]["status"] == "failed"

    receiver.wait_for(failed)
    assert not webhooks.endpoint(tenant.tenant_id, webhook).enabled
    _member(tenant)  # a disabled endpoint is subscribed to nothing
    time.sleep(2)  # the stream read and the fan-out of that change (had it been subscribed) take well under this
    listed = tenant.admin.get(f"/webhooks/{webhook}/deliveries").data
    assert len(listed) == 1 and listed[0]["attempts"] == 1


def test_retry_after_is_honoured(tenant, delivering):
    receiver = Receiver()
    delivering.append(receiver)
    receiver.script = [(503, {"Retry-After": "3"})]
    endpoint_for(tenant, receiver, ["member.created"])
    _member(tenant)
    receiver.wait_for(lambda r: r.delivered())
    first, second = receiver.seen
    assert second["at"] - first["at"] >= 2.5  # the schedule alone would have tried again after 0.3 s


def test_an_expiring_soon_notice_of_the_daily_job_is_delivered(tenant, delivering):
    receiver = Receiver()
    delivering.append(receiver)
    endpoint_for(tenant, receiver, ["points.expiring_soon"])
    ok(200, tenant.admin.patch("/program", {"pointsExpiryDays": 20, "expiryNoticeDays": 7}))
    ok(201, tenant.admin.post("/activities", {"activityId": "visit", "name": "Visit", "points": 5}))
    member = _member(tenant)
    ok(201, tenant.admin.post(f"/members/{member}/awards", {"activityId": "visit"}))
    later = clock.now() + timedelta(days=14)  # 6 days left of the lot
    assert jobs.notify_expiring(now=later, tenant_ids=[tenant.tenant_id])["notices"] == 1
    receiver.wait_for(lambda r: r.delivered())
    (event,) = ok(200, tenant.read.get("/events?type=points.expiring_soon")).data
    assert [s["id"] for s in receiver.delivered()] == [event["id"]] and all(s["verified"] for s in receiver.seen)
    assert receiver.delivered()[0]["event"] == event and event["data"]["memberId"] == member
