"""The DynamoDB actions each function's code really calls: every route run over the local API, recorded."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from loyalty import clock
from loyalty.repository import store
from loyalty.routes import JOBS
from loyalty.services import tenants
from loyalty.services.authorizer import authorize

from tests.support.ledger import activity, award, member
from tests.support.local import Tenant, ok
from tests.support.vouchers import issued, offer
from tools.local import gateway

# TransactWriteItems needs the action of each item it carries.
TRANSACT_ITEMS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}


class _Running:
    """The function whose handler runs now. Not thread-local: a handler's worker threads (sharded pages)
    call DynamoDB for it too, and the recorded requests go one at a time."""

    function: str | None = None


@contextmanager
def recording() -> Iterator[dict[str, set[str]]]:
    """Function name → the DynamoDB actions its calls needed, for every handler run over the local API."""
    seen: dict[str, set[str]] = {}

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        function = _Running.function
        if function is None:
            return
        if model.name == "TransactWriteItems":
            actions = {TRANSACT_ITEMS[kind] for item in params["TransactItems"] for kind in item}
        else:
            actions = {f"dynamodb:{model.name}"}
        seen[function].update(actions)

    def traced(function: str) -> Any:
        handler = original(function)

        def run(event: Any, context: Any) -> Any:
            seen.setdefault(function, set())
            _Running.function = function
            try:
                return handler(event, context)
            finally:
                _Running.function = None

        return run

    original = gateway.load_handler
    gateway.load_handler = traced
    store.client.meta.events.register("before-parameter-build.dynamodb", record)
    try:
        yield seen
    finally:
        store.client.meta.events.unregister("before-parameter-build.dynamodb", record)
        gateway.load_handler = original


def delivery_of(tenant_id: str, webhook_id: str) -> str:
    """A delivery of a made-up event to the endpoint, made by the fan-out (outside any route)."""
    from loyalty import ids
    from loyalty.repository import deliveries
    from loyalty.repository import events as events_db
    from loyalty.services import webhook_delivery

    event = {"id": f"evt_{ids.ulid()}", "type": "points.awarded", "timestamp": "2099-01-01T00:00:00Z"}
    event = {**event, "tenantId": tenant_id, "data": {}}
    assert events_db.put_new(events_db.item(tenant_id, event, "perm", None, 4102444800))  # as the builder stores it
    webhook_delivery.fan_out([event])
    return deliveries.delivery_id(event["id"], webhook_id)


def _deliver_queued() -> None:
    """The webhook delivery consumer's handler on what is queued (an attempt to a closed port: it fails, is
    recorded, the endpoint's health written, the next attempt queued; the local queue stands in for SQS)."""
    from loyalty.repository import delivery_queue
    from loyalty.routes import DELIVERY_FUNCTION

    messages = delivery_queue.receive(10, 30)
    assert messages
    records = [{"messageId": m["messageId"], "body": m["body"]} for m in messages]
    handler = gateway.load_handler(DELIVERY_FUNCTION)
    assert handler({"Records": records}, gateway.LambdaContext(DELIVERY_FUNCTION, "deliver")) == {
        "batchItemFailures": []
    }
    for message in messages:
        delivery_queue.ack(message["receipt"])


def every_function_run(tenant: Tenant) -> dict[str, set[str]]:
    """Run every route (successes, a refusal, a replay), every job and the authorizer; the actions each called."""
    with recording() as seen:
        token = _token_route(tenant)
        _every_route(tenant)
        _every_job(tenant)
        seen["authorizer"] = set()
        _Running.function = "authorizer"
        try:
            key = "Bearer " + tenant.keys["read"]["key"]
            decision = authorize(key, "arn:aws:execute-api:us-east-1:1:a/Production/GET/status")
            by_token = authorize("Bearer " + token, "arn:aws:execute-api:us-east-1:1:a/Production/GET/status")
        finally:
            _Running.function = None
    for answer in (decision, by_token):
        assert {s["Effect"] for s in answer["policyDocument"]["Statement"]} == {"Allow"}, answer
    return seen


def _token_route(tenant: Tenant) -> str:
    """POST /oauth/token (the public route): a refusal, and a token under a fresh signing key (its one-time put)."""
    from tests.support.local import Client
    from tests.support.oauth import fresh_signing_key, new_client, token_for

    client = new_client(tenant.tenant_id, ["read"])
    anonymous = Client(tenant.read.port, None)
    ok(
        401,
        anonymous.call(
            "POST", "/oauth/token", {"grant_type": "client_credentials", "client_id": "oc_x", "client_secret": "x"}
        ),
    )
    with fresh_signing_key():
        return token_for(anonymous, client)


def _every_job(tenant: Tenant) -> None:
    """Each scheduled job's handler, 40 days on: the tenant's lots are past expiry and its delayed award due (the
    expiring-soon notices 10 days on, before: the lots are then about to expire).

    The job lists every tenant (that call is recorded) and settles only this one's entries.
    """
    every_tenant = tenants.list_tenants
    tenants.list_tenants = lambda: [t for t in every_tenant() if t == tenant.tenant_id]
    start = clock.now()
    try:
        # The expiring-soon notices first, 10 days on: the lots (30-day points) expire within their window then.
        for job in sorted(JOBS, key=lambda job: job.function != "notify_expiring"):
            clock.use(clock.FrozenClock(start + timedelta(days=10 if job.function == "notify_expiring" else 40)))
            result = gateway.load_handler(job.function)({}, gateway.LambdaContext(job.function, job.name))
            assert result["complete"] is True and result[next(iter(result))] > 0, (job.name, result)
    finally:
        clock.reset()
        tenants.list_tenants = every_tenant


def _every_route(tenant: Tenant) -> None:
    admin, integration, read = tenant.admin, tenant.integration, tenant.read
    ok(200, read.get("/status"))
    ok(200, read.get("/program"))
    ok(200, admin.patch("/program", {"pointsExpiryDays": 30, "pendingDays": 2, "saleActivityId": None}))
    activity(admin, "visit", points=10)
    activity(admin, "later", points=5, approvalMethod="delayed")
    activity(admin, "sale", type="multiplier", multiplier=2, isSaleActivity=True)
    ok(200, admin.patch("/program", {"saleActivityId": "sale"}))
    ok(200, read.get("/activities"))
    ok(200, read.get("/activities/visit"))
    ok(200, admin.patch("/activities/visit", {"points": 12}))
    m = member(integration, "perm@example.com")
    other = member(integration, "other@example.com")
    ok(200, read.get("/members"))
    ok(200, read.get(f"/members/{m}"))
    ok(200, integration.patch(f"/members/{m}", {"firstName": "Pat"}))
    ok(200, read.get(f"/members/{m}/summary"))
    ok(201, award(integration, m, "visit", points=500))
    pending = ok(201, award(integration, m, "later")).data["transactionId"]
    rejected = ok(201, award(integration, other, "later")).data["transactionId"]
    ok(200, admin.post(f"/transactions/{pending}/approve"))
    ok(200, admin.post(f"/transactions/{rejected}/reject", {"reason": "no"}))
    ok(201, integration.post(f"/members/{m}/deductions", {"points": 3, "reason": "adjust"}))
    ok(200, read.get(f"/members/{m}/transactions"))
    ok(200, read.get("/transactions"))
    ok(200, read.get(f"/transactions/{pending}"))
    ok(201, integration.post("/orders", {"orderId": "o-1", "memberId": m, "total": "20.00"}))
    ok(200, read.get("/orders/o-1"))
    ok(200, read.get(f"/members/{m}/orders"))
    ok(201, integration.post("/orders/o-1/returns", {"returnedAmount": "5.00"}))
    ok(
        201,
        admin.post(
            "/rewards",
            {"rewardId": "coffee", "name": "Coffee", "pointsCost": 10, "fulfillment": "coupon", "isActive": True},
        ),
    )
    ok(
        201,
        admin.post(
            "/rewards", {"rewardId": "mug", "name": "Mug", "pointsCost": 10, "fulfillment": "manual", "isActive": True}
        ),
    )
    ok(200, admin.post("/rewards/coffee/codes", {"codes": ["C1", "C2"]}))
    ok(200, read.get("/rewards"))
    ok(200, read.get("/rewards/coffee"))
    ok(200, admin.patch("/rewards/coffee", {"name": "Coffee!"}))
    coupon = ok(201, integration.post(f"/members/{m}/redemptions", {"rewardId": "coffee"})).data["redemptionId"]
    manual = ok(201, integration.post(f"/members/{m}/redemptions", {"rewardId": "mug"})).data["redemptionId"]
    manual_too = ok(201, integration.post(f"/members/{m}/redemptions", {"rewardId": "mug"})).data["redemptionId"]
    ok(200, admin.post(f"/redemptions/{manual}/complete"))
    ok(200, admin.post(f"/redemptions/{manual_too}/cancel", {"reason": "gone"}))
    ok(200, read.get(f"/members/{m}/redemptions"))
    ok(200, read.get(f"/members/{m}/rewards"))
    ok(200, read.get("/redemptions"))
    ok(200, read.get(f"/redemptions/{coupon}"))
    # reward grants and promo codes (issue 25)
    granted = ok(201, admin.post(f"/members/{m}/reward-grants", {"rewardId": "coffee", "reason": "perm"})).data
    ok(200, admin.post(f"/redemptions/{granted['redemptionId']}/cancel", {"reason": "perm", "refund": True}))
    ok(201, admin.post("/promo-codes", {"code": "PERM-SHARED", "activityId": "visit", "maxUsesTotal": 5}))
    ok(201, admin.post("/promo-codes", {"code": "PERM-POOL", "activityId": "visit", "singleUse": True}))
    ok(200, admin.post("/promo-codes/perm-pool/codes", {"codes": ["PERMPROMO-1"]}))
    ok(201, integration.post(f"/members/{m}/promo-codes", {"code": "perm-shared"}))
    ok(201, integration.post(f"/members/{m}/promo-codes", {"code": "permpromo-1"}))
    ok(200, read.get("/promo-codes"))
    ok(200, read.get("/promo-codes/PERM-POOL"))
    ok(200, admin.patch("/promo-codes/PERM-SHARED", {"status": "disabled"}))
    # offers and offer redemptions
    spring = offer(admin, offerCode="PERM-SPRING", rewardType="points", offerAmount="25", requiresActivation=True)
    ok(200, read.get("/offers"))
    ok(200, read.get(f"/offers/{spring}"))
    ok(200, admin.patch(f"/offers/{spring}", {"name": "Spring!"}))
    ok(200, read.get(f"/members/{m}/offers"))
    ok(200, integration.post(f"/members/{m}/offers/{spring}/activation"))
    body = {"teamId": tenant.tenant_id, "offerCode": "PERM-SPRING", "memberId": m, "orderId": "o-9", "value": "9.00"}
    offer_redemption = ok(201, integration.post("/offer-redemptions", body)).data["id"]
    ok(200, integration.delete(f"/members/{m}/offers/{spring}/activation"))
    ok(200, read.get("/offer-redemptions"))
    ok(200, read.get(f"/offer-redemptions/{offer_redemption}"))
    ok(200, read.get(f"/members/{m}/offer-redemptions"))
    ok(200, integration.post(f"/offer-redemptions/{offer_redemption}/reverse", {"reason": "perm"}))  # issue 23
    # vouchers: a pooled offer and one with generated codes
    pooled = offer(admin, offerCode="PERM-POOL")
    ok(200, admin.post(f"/offers/{pooled}/voucher-codes", {"codes": ["PERMCODE-1", "PERMCODE-2"]}))
    first = issued(integration, pooled, memberId=m)
    second = issued(integration, offer(admin, offerCode="PERM-GEN"))
    ok(200, read.get(f"/offers/{pooled}/vouchers"))
    ok(200, read.get(f"/offers/{pooled}/vouchers/{first['voucherId']}"))
    ok(200, read.get(f"/vouchers/{first['redemptionCode']}"))
    ok(200, integration.post(f"/vouchers/{first['voucherId']}/redeem", {"orderId": "o-10"}))
    ok(200, integration.post(f"/vouchers/{second['redemptionCode']}/cancel"))
    ok(200, read.get(f"/members/{m}/vouchers"))
    ok(200, read.get(f"/members/{m}/vouchers?status=redeemed"))
    # referrals: other refers m, both earn
    ok(200, admin.patch("/program", {"referrerActivityId": "visit", "refereeActivityId": "visit"}))
    code = ok(200, read.get(f"/members/{other}")).data["referralCode"]
    ok(201, integration.post(f"/members/{m}/referral", {"referralCode": code}))
    ok(200, read.get(f"/members/{other}/referrals"))
    ok(200, admin.delete(f"/members/{other}"))
    # challenges (issue 25): a manual one with a daily limit (approve, reject) and an immediate one (award)
    body = {"type": "text", "activityId": "visit", "status": "published"}
    ok(201, admin.post("/challenges", {**body, "challengeId": "ch", "name": "Ch", "maxResponsesPerMember": 3}))
    ok(201, admin.post("/challenges", {**body, "challengeId": "now", "name": "Now", "approvalMethod": "immediate"}))
    ok(200, read.get("/challenges"))
    ok(200, read.get("/challenges/ch"))
    ok(200, admin.patch("/challenges/ch", {"maxResponsesPerMemberInterval": "day"}))
    answer = {"memberId": m, "answer": {"t": "x"}}
    ok(201, integration.post("/challenges/now/responses", answer))
    first, second = (ok(201, integration.post("/challenges/ch/responses", answer)).data["responseId"] for _ in "12")
    ok(200, admin.post(f"/challenge-responses/{first}/approve"))
    ok(200, admin.post(f"/challenge-responses/{second}/reject", {"reason": "no"}))
    ok(200, read.get("/challenges/ch/responses?status=approved"))
    ok(200, read.get(f"/members/{m}/challenge-responses"))
    # events (made by the stream consumer, not by a route: none here is fine for what the routes call)
    ok(200, read.get("/events?type=points.awarded"))
    ok(404, read.get("/events/evt_01ARZ3NDEKTSV4RRFFQ69G5FAV"))
    # webhook endpoints (issue 24)
    hook = ok(201, admin.post("/webhooks", {"url": "http://127.0.0.1:9/hook", "events": ["*"]})).data["webhookId"]
    ok(200, admin.get("/webhooks"))
    ok(200, admin.get(f"/webhooks/{hook}"))
    # webhook deliveries (issue 24): one made as the stream consumer's fan-out makes it, then listed and retried
    delivery = delivery_of(tenant.tenant_id, hook)
    ok(200, admin.get(f"/webhooks/{hook}/deliveries"))
    ok(200, admin.post(f"/webhooks/{hook}/deliveries/{delivery}/retry"))
    _deliver_queued()
    ok(200, admin.patch(f"/webhooks/{hook}", {"enabled": False}))
    ok(200, admin.post(f"/webhooks/{hook}/rotate-secret"))
    ok(204, admin.delete(f"/webhooks/{hook}"))
    # segments and targeting (issue 25)
    ok(201, admin.post("/segments", {"segmentId": "perm", "name": "Perm", "rules": {"minQualified": 1}}))
    ok(200, read.get("/segments"))
    ok(200, read.get("/segments/perm"))
    ok(200, admin.patch("/segments/perm", {"name": "Perm!"}))
    ok(200, admin.call("PUT", f"/segments/perm/members/{m}", {"type": "include"}))
    ok(200, read.get(f"/members/{m}/segments"))
    ok(204, admin.delete(f"/segments/perm/members/{m}"))
    # deployed bulk imports (issue 26): an import awaiting its upload, read back
    started = ok(201, admin.post("/imports", {"kind": "members"})).data["importId"]
    ok(200, admin.get(f"/imports/{started}"))
    # refusals and replays go through the same code: an unknown id, a repeated idempotent write
    assert ok(404, read.get("/members/01ARZ3NDEKTSV4RRFFQ69G5FAV")).code == "not_found"
    replay = {"Idempotency-Key": "perm-1"}  # (award() would send a headers= in the body)
    replies = [ok(201, integration.post(f"/members/{m}/awards", {"activityId": "visit"}, headers=replay)) for _ in "12"]
    assert [r.headers.get("idempotent-replayed") for r in replies] == [None, "true"]
    ok(201, award(integration, m, "later"))  # left pending, for the job that approves it
