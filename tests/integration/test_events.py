"""Events over the local API on DynamoDB Local's change stream (§13): a scripted scenario makes one event per
state change with the right type and data, read back through GET /events; a stream batch processed again
stores nothing twice (same ids); the poller `make serve` runs picks a change up by itself."""

import time
from collections import Counter

import pytest
from botocore.session import Session
from loyalty.repository.client import client, table_name
from loyalty.services import event_store

from tests.support.local import ok
from tools.local.stream import StreamPoller

# Every event type the scenario below makes (all of §13's that exist but points.expired, a scheduled job's).
EXPECTED = Counter(
    {
        "member.created": 2,
        "member.updated": 1,
        "member.erased": 1,
        "tier.changed": 1,
        "points.awarded": 6,  # gift, two manual, the order's, the referrer's, Ben's challenge response
        "points.approved": 1,
        "points.rejected": 1,
        "points.deducted": 1,
        "points.redeemed": 2,
        "points.refunded": 1,
        "points.returned": 1,
        "redemption.created": 2,
        "redemption.completed": 1,
        "redemption.cancelled": 1,
        "offer.activated": 1,
        "offer.redeemed": 1,
        "offer.reversed": 1,
        "voucher.issued": 2,
        "voucher.redeemed": 1,
        "voucher.cancelled": 1,
        "referral.completed": 1,
        "challenge.responded": 1,  # issue 25
    }
)


class Recording:
    """The consumer the poller feeds, keeping each batch it was given (to process them again)."""

    def __init__(self):
        self.batches = []

    def __call__(self, records):
        self.batches.append(records)
        return event_store.consume(records)


@pytest.fixture
def stream(local_api):
    recording = Recording()
    streams = Session().create_client(
        "dynamodbstreams", region_name=client.meta.region_name, endpoint_url=local_api.engine.endpoint
    )
    poller = StreamPoller(client, streams, table_name(), consume=recording)
    poller.recording = recording
    yield poller
    poller.stop()


def scenario(tenant):
    """Every kind of change that makes an event, through the API; the ids of what it made."""
    admin = tenant.admin
    ok(
        200,
        admin.patch(
            "/program",
            {
                "tiers": [
                    {"tierId": "base", "name": "Base", "threshold": 0},
                    {"tierId": "gold", "name": "Gold", "threshold": 100},
                ]
            },
        ),
    )
    ok(201, admin.post("/activities", {"activityId": "gift", "name": "Gift", "points": 150}))
    ok(
        201,
        admin.post("/activities", {"activityId": "manual", "name": "Manual", "points": 5, "approvalMethod": "manual"}),
    )
    ok(
        201,
        admin.post("/activities", {"activityId": "sale", "name": "Sale", "type": "multiplier", "isSaleActivity": True}),
    )
    ok(200, admin.patch("/program", {"saleActivityId": "sale", "referrerActivityId": "manual"}))
    ann = ok(201, admin.post("/members", {"email": "ann@example.com", "firstName": "Ann"})).data["memberId"]
    ok(200, admin.patch(f"/members/{ann}", {"lastName": "Lee"}))
    ok(201, admin.post(f"/members/{ann}/awards", {"activityId": "gift"}))  # 150: gold
    approve = ok(201, admin.post(f"/members/{ann}/awards", {"activityId": "manual"})).data["transactionId"]
    reject = ok(201, admin.post(f"/members/{ann}/awards", {"activityId": "manual"})).data["transactionId"]
    ok(200, admin.post(f"/transactions/{approve}/approve"))
    ok(200, admin.post(f"/transactions/{reject}/reject", {"reason": "no receipt"}))
    ok(201, admin.post(f"/members/{ann}/deductions", {"points": 5, "reason": "correction"}))
    ok(201, admin.post("/orders", {"orderId": "o-1", "memberId": ann, "total": "20.00"}))
    ok(201, admin.post("/orders/o-1/returns", {"returnedAmount": "10.00"}))
    ok(
        201,
        admin.post(
            "/rewards", {"rewardId": "mug", "name": "Mug", "pointsCost": 10, "fulfillment": "manual", "isActive": True}
        ),
    )
    first = ok(201, admin.post(f"/members/{ann}/redemptions", {"rewardId": "mug"})).data["redemptionId"]
    second = ok(201, admin.post(f"/members/{ann}/redemptions", {"rewardId": "mug"})).data["redemptionId"]
    ok(200, admin.post(f"/redemptions/{first}/complete"))
    ok(200, admin.post(f"/redemptions/{second}/cancel", {"reason": "changed mind"}))
    offer = ok(
        201,
        admin.post(
            "/offers",
            {
                "offerCode": "CLIP",
                "name": "Clip",
                "rewardType": "amount",
                "offerAmount": "5",
                "status": "published",
                "requiresActivation": True,
            },
        ),
    ).data["offerId"]
    ok(200, admin.post(f"/members/{ann}/offers/{offer}/activation"))
    used = ok(
        201, admin.post("/offer-redemptions", {"teamId": tenant.tenant_id, "offerCode": "CLIP", "memberId": ann})
    ).data["id"]
    ok(200, admin.post(f"/offer-redemptions/{used}/reverse", {"reason": "refund"}))
    voucher = ok(201, admin.post(f"/offers/{offer}/vouchers", {"memberId": ann})).data["voucherId"]
    ok(200, admin.post(f"/vouchers/{voucher}/redeem", {}))
    other = ok(201, admin.post(f"/offers/{offer}/vouchers", {"customerName": "Walk In"})).data["voucherId"]
    ok(200, admin.post(f"/vouchers/{other}/cancel"))
    ben = ok(201, admin.post("/members", {"email": "ben@example.com", "firstName": "Ben"})).data
    code = admin.get(f"/members/{ann}").data["referralCode"]
    ok(201, admin.post(f"/members/{ben['memberId']}/referral", {"referralCode": code}))
    challenge = {"challengeId": "ch", "name": "Ch", "type": "text", "activityId": "manual", "status": "published"}
    ok(201, admin.post("/challenges", {**challenge, "approvalMethod": "immediate"}))  # issue 25: approved at once
    answer = {"memberId": ben["memberId"], "answer": {"text": "Ben Example, 12 High Street"}}
    ok(201, admin.post("/challenges/ch/responses", answer))
    ok(200, admin.delete(f"/members/{ben['memberId']}"))
    return {"ann": ann, "ben": ben["memberId"], "voucher": voucher}


def all_events(tenant):
    found, token = [], None
    while True:
        page = ok(200, tenant.read.get("/events?limit=100" + (f"&nextToken={token}" if token else "")))
        found += page.data
        token = page.json.get("nextToken")
        if not token:
            return found


def test_a_scenario_makes_one_event_per_state_change_and_a_batch_again_makes_none(tenant, stream):
    made = scenario(tenant)
    stream.poll()
    events = all_events(tenant)
    assert Counter(e["type"] for e in events) == EXPECTED
    assert len({e["id"] for e in events}) == len(events)
    assert [e["id"] for e in events] == sorted((e["id"] for e in events), reverse=True)  # newest first
    assert all(e["tenantId"] == tenant.tenant_id for e in events)
    by_type = {e["type"]: e for e in events}
    ann = tenant.read.get(f"/members/{made['ann']}").data
    assert by_type["tier.changed"]["data"]["tier"] == {"tierId": "gold", "name": "Gold"}
    assert by_type["tier.changed"]["data"]["previousTier"] == {"tierId": "base", "name": "Base"}
    assert by_type["member.updated"]["data"]["lastName"] == "Lee"
    assert by_type["voucher.redeemed"]["data"] == tenant.read.get(f"/vouchers/{made['voucher']}").data
    assert by_type["referral.completed"]["data"]["refereeId"] == made["ben"]
    responded = by_type["challenge.responded"]["data"]  # Ben's response: its answer nulled by his erasure
    assert (responded["memberId"], responded["challengeId"], responded["status"]) == (made["ben"], "ch", "approved")
    assert responded["answer"] is None
    assert ann["memberId"] == by_type["member.updated"]["data"]["memberId"]
    # the erased member's events carry no personal data (its member.created had its email and name)
    bens = [e for e in events if e["data"].get("memberId") == made["ben"]]
    assert bens and all(e["data"].get("email") is None and e["data"].get("firstName") is None for e in bens)
    one = events[len(events) // 2]
    assert ok(200, tenant.read.get(f"/events/{one['id']}")).data == one
    assert tenant.read.get("/events?type=points.awarded").data == [e for e in events if e["type"] == "points.awarded"]

    # every batch processed again: no new event, the same ids
    again = [event for batch in stream.recording.batches for event in event_store.consume(batch)]
    assert again == []
    assert sorted(e["id"] for e in all_events(tenant)) == sorted(e["id"] for e in events)


def test_the_poller_of_make_serve_stores_a_change_as_it_happens(tenant, stream):
    """The thread `make serve` runs picks a change up by itself (the latency target is the bench's, not a test's:
    this only bounds it loosely, 10 s, so a loaded machine does not fail it)."""
    stream.poll()  # whatever earlier tests left in the stream
    stream.start()
    ok(201, tenant.admin.post("/members", {"email": "quick@example.com"}))
    deadline = time.monotonic() + 10
    while not tenant.read.get("/events").data and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [e["type"] for e in tenant.read.get("/events").data] == ["member.created"]


def test_a_table_kept_from_before_events_gets_its_stream_at_start(local_api):
    """`make serve` on a .local/ table made without a stream turns it on (UpdateTable), once."""
    from loyalty.repository.table import create_table_request

    from tools.local import dynamodb_local

    name = f"kept-{time.monotonic_ns()}"
    client.create_table(**create_table_request(name))
    try:
        assert not dynamodb_local.ensure_table(client, name)
        spec = client.describe_table(TableName=name)["Table"]["StreamSpecification"]
        assert spec == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        from tools.local import stream as local_stream

        assert not local_stream.enable(client, name)  # on already: nothing to do
    finally:
        client.delete_table(TableName=name)
