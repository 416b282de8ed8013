"""IAM per function is what its code uses: every route runs over the local API (successes and
refusals) while a botocore hook records each function's DynamoDB actions; none may fall outside
the actions infra/permissions.py grants it (and the synthesised template is tested to grant)."""

import threading

import pytest
from loyalty.repository import store
from loyalty.routes import ROUTES
from loyalty.services.authorizer import authorize

from infra import permissions
from tests.support.ledger import activity, award, member
from tests.support.vouchers import issued, offer
from tools.local import gateway

# TransactWriteItems needs the action of each item it carries.
TRANSACT_ITEMS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}


@pytest.fixture
def recorded(monkeypatch):
    running = threading.local()
    seen: dict[str, set[str]] = {}

    def record(model, params, **_):
        function = getattr(running, "function", None)
        if function is None:
            return
        if model.name == "TransactWriteItems":
            actions = {TRANSACT_ITEMS[kind] for item in params["TransactItems"] for kind in item}
        else:
            actions = {f"dynamodb:{model.name}"}
        seen.setdefault(function, set()).update(actions)

    def traced(function):
        handler = original(function)

        def run(event, context):
            seen.setdefault(function, set())
            running.function = function
            try:
                return handler(event, context)
            finally:
                running.function = None

        return run

    original = gateway.load_handler
    monkeypatch.setattr(gateway, "load_handler", traced)
    store.client.meta.events.register("before-parameter-build.dynamodb", record)
    yield seen, running
    store.client.meta.events.unregister("before-parameter-build.dynamodb", record)


def test_every_function_calls_only_the_dynamodb_actions_it_is_granted(tenant, recorded):
    seen, running = recorded
    admin, integration, read = tenant.admin, tenant.integration, tenant.read
    read.get("/status")
    read.get("/program")
    admin.patch("/program", {"pointsExpiryDays": 30, "pendingDays": 2, "saleActivityId": None})
    activity(admin, "visit", points=10)
    activity(admin, "later", points=5, approvalMethod="delayed")
    activity(admin, "sale", type="multiplier", multiplier=2, isSaleActivity=True)
    admin.patch("/program", {"saleActivityId": "sale"})
    read.get("/activities")
    read.get("/activities/visit")
    admin.patch("/activities/visit", {"points": 12})
    m = member(integration, "perm@example.com")
    other = member(integration, "other@example.com")
    read.get("/members")
    read.get(f"/members/{m}")
    integration.patch(f"/members/{m}", {"firstName": "Pat"})
    read.get(f"/members/{m}/summary")
    award(integration, m, "visit", points=500)
    pending = award(integration, m, "later").data["transactionId"]
    rejected = award(integration, other, "later").data["transactionId"]
    admin.post(f"/transactions/{pending}/approve")
    admin.post(f"/transactions/{rejected}/reject", {"reason": "no"})
    integration.post(f"/members/{m}/deductions", {"points": 3, "reason": "adjust"})
    read.get(f"/members/{m}/transactions")
    read.get("/transactions")
    read.get(f"/transactions/{pending}")
    integration.post("/orders", {"orderId": "o-1", "memberId": m, "total": "20.00"})
    read.get("/orders/o-1")
    read.get(f"/members/{m}/orders")
    integration.post("/orders/o-1/returns", {"returnedAmount": "5.00"})
    admin.post("/rewards", {"rewardId": "coffee", "name": "Coffee", "pointsCost": 10, "fulfillment": "coupon"})
    admin.post("/rewards", {"rewardId": "mug", "name": "Mug", "pointsCost": 10, "fulfillment": "manual"})
    admin.post("/rewards/coffee/codes", {"codes": ["C1", "C2"]})
    read.get("/rewards")
    read.get("/rewards/coffee")
    admin.patch("/rewards/coffee", {"name": "Coffee!"})
    coupon = integration.post(f"/members/{m}/redemptions", {"rewardId": "coffee"}).data["redemptionId"]
    manual = integration.post(f"/members/{m}/redemptions", {"rewardId": "mug"}).data["redemptionId"]
    manual_too = integration.post(f"/members/{m}/redemptions", {"rewardId": "mug"}).data["redemptionId"]
    admin.post(f"/redemptions/{manual}/complete")
    admin.post(f"/redemptions/{manual_too}/cancel", {"reason": "gone"})
    read.get(f"/members/{m}/redemptions")
    read.get("/redemptions")
    read.get(f"/redemptions/{coupon}")
    # offers and offer redemptions
    spring = offer(admin, offerCode="PERM-SPRING", rewardType="points", offerAmount="25", requiresActivation=True)
    read.get("/offers")
    read.get(f"/offers/{spring}")
    admin.patch(f"/offers/{spring}", {"name": "Spring!"})
    read.get(f"/members/{m}/offers")
    integration.post(f"/members/{m}/offers/{spring}/activation")
    body = {"teamId": tenant.tenant_id, "offerCode": "PERM-SPRING", "memberId": m, "orderId": "o-9", "value": "9.00"}
    offer_redemption = integration.post("/offer-redemptions", body).data["id"]
    integration.delete(f"/members/{m}/offers/{spring}/activation")
    read.get("/offer-redemptions")
    read.get(f"/offer-redemptions/{offer_redemption}")
    read.get(f"/members/{m}/offer-redemptions")
    # vouchers: a pooled offer and one with generated codes
    pooled = offer(admin, offerCode="PERM-POOL")
    admin.post(f"/offers/{pooled}/voucher-codes", {"codes": ["PERMCODE-1", "PERMCODE-2"]})
    first = issued(integration, pooled, memberId=m)
    second = issued(integration, offer(admin, offerCode="PERM-GEN"))
    read.get(f"/offers/{pooled}/vouchers")
    read.get(f"/offers/{pooled}/vouchers/{first['voucherId']}")
    read.get(f"/vouchers/{first['redemptionCode']}")
    integration.post(f"/vouchers/{first['voucherId']}/redeem", {"orderId": "o-10"})
    integration.post(f"/vouchers/{second['redemptionCode']}/cancel")
    admin.delete(f"/members/{other}")
    # refusals and replays go through the same code: an unknown id, a repeated idempotent write
    read.get("/members/01ARZ3NDEKTSV4RRFFQ69G5FAV")
    for _ in range(2):
        award(integration, m, "visit", headers={"Idempotency-Key": "perm-1"})

    running.function = "authorizer"
    seen.setdefault("authorizer", set())
    authorize("Bearer " + tenant.keys["read"]["key"], "arn:aws:execute-api:us-east-1:1:a/Production/GET/status")
    running.function = None

    assert set(seen) == {route.function for route in ROUTES} | {"authorizer"}, "every function ran"
    granted = {route.function: set(permissions.route_actions(route)) for route in ROUTES}
    granted["authorizer"] = set(permissions.AUTHORIZER)
    for function, actions in seen.items():
        assert actions <= granted[function], (function, actions - granted[function])
    writers = {route.function for route in ROUTES if route.writes}
    assert all(seen[f] & set(permissions.WRITE) for f in writers), "writers do write"
    assert seen["get_status"] == set() == granted["get_status"]
