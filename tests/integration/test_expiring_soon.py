"""points.expiring_soon over the local API (§13): `expiryNoticeDays` through PATCH /program, the job run by hand
with the operator CLI as `make serve` users run it (`loyalty job notify-expiring`), the event read back through
GET /events, a second run giving nothing, and the notice's own items making no event on the stream."""

import json

import pytest
from botocore.session import Session
from loyalty.repository.client import client, table_name
from loyalty.services import event_store

from tests.support.ledger import activity, award, member
from tests.support.local import ok
from tools import cli
from tools.local.stream import StreamPoller


@pytest.fixture
def stream(local_api):
    streams = Session().create_client(
        "dynamodbstreams", region_name=client.meta.region_name, endpoint_url=local_api.engine.endpoint
    )
    poller = StreamPoller(client, streams, table_name(), consume=event_store.consume)
    yield poller
    poller.stop()


def test_the_cli_gives_each_notice_once_and_get_events_shows_it(local_api, tenant, stream, capsys, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", local_api.engine.endpoint)  # a local table: --in-days is allowed
    assert tenant.admin.patch("/program", {"expiryNoticeDays": 0}).status == 400
    assert (
        ok(200, tenant.admin.patch("/program", {"pointsExpiryDays": 20, "expiryNoticeDays": 7})).data[
            "expiryNoticeDays"
        ]
        == 7
    )
    activity(tenant.admin, "visit", points=10)
    m = member(tenant.integration, "soon@example.com")
    award(tenant.integration, m, "visit")
    stream.poll()  # the award's events stored
    before = {e["id"] for e in tenant.read.get("/events?limit=100").data}
    capsys.readouterr()
    cli.main(["job", "notify-expiring", "--tenant", tenant.tenant_id, "--in-days", "10"])  # 10 days left: not yet
    assert json.loads(capsys.readouterr().out) == {"lots": 0, "notices": 0, "complete": True}
    cli.main(["job", "notify-expiring", "--tenant", tenant.tenant_id, "--in-days", "14"])  # 6 days left
    assert json.loads(capsys.readouterr().out) == {"lots": 1, "notices": 1, "complete": True}
    cli.main(["job", "notify-expiring", "--tenant", tenant.tenant_id, "--in-days", "15"])  # the next day
    assert json.loads(capsys.readouterr().out) == {"lots": 1, "notices": 0, "complete": True}
    (event,) = ok(200, tenant.read.get("/events?type=points.expiring_soon")).data
    assert event["data"]["memberId"] == m and event["data"]["points"] == 10
    assert event["data"]["expiryNoticeDays"] == 7
    summary = ok(200, tenant.read.get(f"/members/{m}/summary")).data
    assert summary["expirationSchedule"] == [{"date": event["data"]["date"], "points": 10}]
    assert ok(200, tenant.read.get(f"/events/{event['id']}")).data == event
    stream.poll()  # the notice item and the event item on the stream: no event of their own
    after = {e["id"] for e in tenant.read.get("/events?limit=100").data}
    assert after - before == {event["id"]}
