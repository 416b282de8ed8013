"""Representative requests for `make bench`, each run through the local gateway on a seeded table."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

from loyalty.routes import STAGE

Scenario = tuple[str, Callable[[], int]]


class Pausable(Protocol):
    active: bool


def _gateway_without_counting_the_authorizer(counter: Pausable) -> Any:
    """A gateway whose authorizer lookups are not counted: API Gateway caches them for 300 s."""
    from tools.local.gateway import Gateway

    gateway = Gateway()
    authorizer = gateway._authorizer

    def uncounted(event: dict[str, Any], context: Any) -> dict[str, Any]:
        was, counter.active = counter.active, False
        try:
            return authorizer(event, context)
        finally:
            counter.active = was

    gateway._authorizer = uncounted
    return gateway


def scenarios(members: int, counter: Pausable) -> Iterator[Scenario]:
    """Seed a tenant (and `members` members once members exist), then yield one scenario per operation."""
    from loyalty.services import activities, program, rewards, tenants

    tenants.create_tenant("bench", "Bench")
    key = tenants.issue_key("bench", ["admin"])["key"]
    gateway = _gateway_without_counting_the_authorizer(counter)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def call(
        method: str, path: str, body: str = "", extra: dict[str, str] | None = None, cold: bool = True
    ) -> Callable[[], int]:
        def run() -> int:
            if cold:
                program.forget_cache()
            else:  # a warm container: settings and activities already in its 30 s cache
                was, counter.active = counter.active, False
                program.load("bench")
                for activity_id in ("visit", "checkin", "sale", "photo"):
                    activities.load("bench", activity_id)
                for reward_id in ("coffee", "mug"):
                    rewards.load("bench", reward_id)
                counter.active = was
            route, _, query = path.partition("?")
            return gateway.handle(method, f"/{STAGE}{route}", query, {**headers, **(extra or {})}, body.encode()).status

        return run

    import json

    def seed_members() -> str:
        member_id = ""
        for i in range(members):
            answer = gateway.handle(
                "POST", f"/{STAGE}/members", "", headers, json.dumps({"email": f"m{i}@x.io"}).encode()
            )
            member_id = json.loads(answer.body)["data"]["memberId"]
        return member_id

    def seed(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        answer = gateway.handle(method, f"/{STAGE}{path}", "", headers, json.dumps(body or {}).encode())
        assert answer.status < 300, answer.body
        return json.loads(answer.body)["data"]

    counting, counter.active = counter.active, False
    member_id = seed_members()
    seed("POST", "/activities", {"activityId": "visit", "name": "Visit", "points": 500})
    seed(
        "POST",
        "/activities",
        {"activityId": "checkin", "name": "Check-in", "maxAwardFrequency": 1000, "maxAwardFrequencyInterval": "day"},
    )
    seed("POST", "/activities", {"activityId": "photo", "name": "Photo", "approvalMethod": "manual"})
    seed("POST", "/activities", {"activityId": "sale", "name": "Sale", "type": "multiplier"})
    seed("PATCH", "/program", {"saleActivityId": "sale"})
    pending = [seed("POST", f"/members/{member_id}/awards", {"activityId": "photo"})["transactionId"] for _ in "ab"]
    seed("POST", "/orders", {"orderId": "seeded", "memberId": member_id, "total": "80.00"})
    seed("POST", "/rewards", {"rewardId": "coffee", "name": "Coffee", "pointsCost": 10, "fulfillment": "coupon"})
    seed("POST", "/rewards/coffee/codes", {"codes": [f"CODE-{i}" for i in range(200)]})
    seed("POST", "/rewards", {"rewardId": "mug", "name": "Mug", "pointsCost": 10, "fulfillment": "manual"})
    seed("POST", f"/members/{member_id}/awards", {"activityId": "visit"})
    manual = [seed("POST", f"/members/{member_id}/redemptions", {"rewardId": "mug"})["redemptionId"] for _ in "ab"]
    counter.active = counting
    award = json.dumps({"activityId": "visit"})
    award_key = {"Idempotency-Key": "bench-award"}
    order = json.dumps({"orderId": "bench-1", "memberId": member_id, "total": "42.50"})
    enrol = json.dumps({"email": "new@x.io", "externalId": "ext-new"})
    replay = {"Idempotency-Key": "bench-enrol"}

    yield ("GET /status", call("GET", "/status"))
    yield ("GET /program (cold container)", call("GET", "/program"))
    yield ("GET /program (settings cached)", call("GET", "/program", cold=False))
    yield ("PATCH /program", call("PATCH", "/program", '{"pointsExpiryDays": 365}'))
    yield ("POST /members", call("POST", "/members", enrol, cold=False))
    yield ("POST /members with Idempotency-Key", call("POST", "/members", enrol.replace("new", "idem"), replay, False))
    yield ("POST /members replay", call("POST", "/members", enrol.replace("new", "idem"), replay, False))
    yield ("GET /members/{id}", call("GET", f"/members/{member_id}", cold=False))
    yield ("GET /members (page of 25)", call("GET", "/members", cold=False))
    yield ("GET /members?email=", call("GET", "/members?email=m1@x.io", cold=False))
    yield ("PATCH /members/{id}", call("PATCH", f"/members/{member_id}", '{"firstName": "Bo"}', cold=False))
    m = f"/members/{member_id}"
    yield ("POST /members/{id}/awards (settings cached)", call("POST", f"{m}/awards", award, cold=False))
    yield ("POST /members/{id}/awards (cold container)", call("POST", f"{m}/awards", award))
    yield (
        "POST /members/{id}/awards, capped activity",
        call("POST", f"{m}/awards", award.replace("visit", "checkin"), cold=False),
    )
    yield ("POST /members/{id}/awards with Idempotency-Key", call("POST", f"{m}/awards", award, award_key, False))
    yield ("POST /members/{id}/awards replay", call("POST", f"{m}/awards", award, award_key, False))
    yield ("POST /members/{id}/deductions", call("POST", f"{m}/deductions", '{"points": 5, "reason": "b"}', cold=False))
    yield ("POST /orders", call("POST", "/orders", order, cold=False))
    yield ("POST /orders (same order again)", call("POST", "/orders", order, cold=False))
    yield (
        "POST /orders/{id}/returns",
        call("POST", "/orders/seeded/returns", '{"returnedAmount": "10.00"}', cold=False),
    )
    yield ("POST /transactions/{id}/approve", call("POST", f"/transactions/{pending[0]}/approve", cold=False))
    yield (
        "POST /transactions/{id}/reject",
        call("POST", f"/transactions/{pending[1]}/reject", '{"reason": "b"}', cold=False),
    )
    yield ("GET /transactions/{id}", call("GET", f"/transactions/{pending[0]}", cold=False))
    yield ("GET /members/{id}/transactions (page)", call("GET", f"{m}/transactions", cold=False))
    yield ("GET /transactions?type=award (page)", call("GET", "/transactions?type=award", cold=False))
    yield ("GET /members/{id}/summary", call("GET", f"{m}/summary", cold=False))
    yield ("GET /orders/{id}", call("GET", "/orders/bench-1", cold=False))
    yield ("GET /members/{id}/orders (page)", call("GET", f"{m}/orders", cold=False))
    yield ("POST /activities", call("POST", "/activities", '{"activityId": "new", "name": "New"}', cold=False))
    yield ("GET /activities/{id}", call("GET", "/activities/visit", cold=False))
    yield ("GET /activities (page)", call("GET", "/activities", cold=False))
    yield ("PATCH /activities/{id}", call("PATCH", "/activities/visit", '{"points": 20}', cold=False))
    coffee = '{"rewardId": "coffee"}'
    yield ("POST /members/{id}/redemptions (coupon)", call("POST", f"{m}/redemptions", coffee, cold=False))
    yield (
        "POST /members/{id}/redemptions (manual)",
        call("POST", f"{m}/redemptions", '{"rewardId": "mug"}', cold=False),
    )
    rdm_key = {"Idempotency-Key": "bench-redeem"}
    yield (
        "POST /members/{id}/redemptions with Idempotency-Key",
        call("POST", f"{m}/redemptions", coffee, rdm_key, False),
    )
    yield ("POST /members/{id}/redemptions replay", call("POST", f"{m}/redemptions", coffee, rdm_key, False))
    yield ("POST /redemptions/{id}/complete", call("POST", f"/redemptions/{manual[0]}/complete", cold=False))
    cancel = '{"reason": "b", "refund": true}'
    yield (
        "POST /redemptions/{id}/cancel (refund)",
        call("POST", f"/redemptions/{manual[1]}/cancel", cancel, cold=False),
    )
    yield ("GET /redemptions/{id}", call("GET", f"/redemptions/{manual[0]}", cold=False))
    yield ("GET /members/{id}/redemptions (page)", call("GET", f"{m}/redemptions", cold=False))
    yield ("GET /redemptions?status=issued (page)", call("GET", "/redemptions?status=issued", cold=False))
    yield (
        "POST /rewards",
        call(
            "POST", "/rewards", '{"rewardId": "new", "name": "N", "pointsCost": 5, "fulfillment": "coupon"}', cold=False
        ),
    )
    yield ("GET /rewards/{id}", call("GET", "/rewards/coffee", cold=False))
    yield ("GET /rewards (page)", call("GET", "/rewards", cold=False))
    yield ("PATCH /rewards/{id}", call("PATCH", "/rewards/coffee", '{"pointsCost": 12}', cold=False))
    yield (
        "POST /rewards/{id}/codes (50 codes)",
        call("POST", "/rewards/coffee/codes", json.dumps({"codes": [f"N{i}" for i in range(50)]}), cold=False),
    )
    yield ("DELETE /members/{id}", call("DELETE", f"/members/{member_id}", cold=False))
