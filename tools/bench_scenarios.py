"""Representative requests for `make bench`, each run through the local gateway on a seeded table."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

from loyalty.routes import STAGE

Scenario = tuple[str, Callable[[], int]]


class Pausable(Protocol):
    active: bool


def _gateway_without_counting_the_authorizer(counter: Pausable) -> Any:
    """A gateway whose authorizer lookups are not counted: API Gateway caches them for 60 s."""
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
    from loyalty.repository import offers as offers_db
    from loyalty.repository import store
    from loyalty.services import activities, offers, rewards, tenants

    tenants.create_tenant("bench", "Bench")
    key = tenants.issue_key("bench", ["admin"])["key"]
    gateway = _gateway_without_counting_the_authorizer(counter)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def cached() -> None:
        for activity_id in ("visit", "checkin", "sale", "photo"):
            activities.load("bench", activity_id)
        for reward_id in ("coffee", "mug"):
            rewards.load("bench", reward_id)
        for code in OFFER_CODES:
            offers.offer_id_for_code("bench", code)
        if store.get(offers_db.code_guard("bench", TARGETED_OFFER)) is not None:  # segments (issue 25), once seeded
            offers.offer_id_for_code("bench", TARGETED_OFFER)
            rewards.load("bench", TARGETED_REWARD)

    call = _caller(gateway, counter, "bench", headers, cached)

    import json

    def seed_members() -> str:
        member_id = ""
        for i in range(members):
            body = {"email": f"m{i}@x.io", "phone": f"+1555{i:07d}"}  # search entries: m…, +1… (q rows)
            answer = gateway.handle("POST", f"/{STAGE}/members", "", headers, json.dumps(body).encode())
            member_id = json.loads(answer.body)["data"]["memberId"]
        return member_id

    seed = _seeder(gateway, headers)
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
    seed(
        "POST",
        "/rewards",
        {"rewardId": "coffee", "name": "Coffee", "pointsCost": 10, "fulfillment": "coupon", "isActive": True},
    )
    seed("POST", "/rewards/coffee/codes", {"codes": [f"CODE-{i}" for i in range(200)]})
    seed(
        "POST",
        "/rewards",
        {"rewardId": "mug", "name": "Mug", "pointsCost": 10, "fulfillment": "manual", "isActive": True},
    )
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
    # members by any identifier (issue 23 item 1): a guard lookup; a prefix search (six Queries + a BatchGetItem)
    yield ("GET /members?phone=", call("GET", "/members?phone=%2B15550000001", cold=False))
    yield ("GET /members?q= (page of 25)", call("GET", "/members?q=m1", cold=False))
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
        "POST /orders/{id}/returns dryRun (preview)",
        call("POST", "/orders/seeded/returns", '{"returnedAmount": "10.00", "dryRun": true}', cold=False),
    )
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
    yield ("GET /members/{id}/rewards (page)", call("GET", f"{m}/rewards", cold=False))
    yield ("GET /redemptions?status=issued (page)", call("GET", "/redemptions?status=issued", cold=False))
    yield (
        "POST /rewards",
        call(
            "POST",
            "/rewards",
            '{"rewardId": "new", "name": "N", "pointsCost": 5, "fulfillment": "coupon", "isActive": true}',
            cold=False,
        ),
    )
    yield ("GET /rewards/{id}", call("GET", "/rewards/coffee", cold=False))
    yield ("GET /rewards (page)", call("GET", "/rewards", cold=False))
    yield ("PATCH /rewards/{id}", call("PATCH", "/rewards/coffee", '{"pointsCost": 12}', cold=False))
    yield (
        "POST /rewards/{id}/codes (50 codes)",
        call("POST", "/rewards/coffee/codes", json.dumps({"codes": [f"N{i}" for i in range(50)]}), cold=False),
    )
    yield from _offer_scenarios(seed, call, member_id, counter)
    yield from _voucher_scenarios(seed, call, member_id, counter)
    yield from _oauth_scenarios(gateway, counter, member_id)
    yield from _referral_scenarios(seed, call, counter)
    yield from _event_scenarios(call, member_id, counter)
    yield from _webhook_scenarios(seed, call, counter)
    yield from _delivery_scenarios(seed, call, counter)
    yield from _segment_scenarios(seed, call, member_id, counter)
    yield from _challenge_scenarios(seed, call, member_id, counter)
    yield from _promo_scenarios(seed, call, member_id, counter)
    yield from _import_job_scenarios(seed, call)
    yield ("DELETE /members/{id}", call("DELETE", f"/members/{member_id}", cold=False))
    yield from _wide_scenarios(members, counter, gateway)


def _caller(
    gateway: Any, counter: Pausable, tenant_id: str, headers: dict[str, str], cached: Callable[[], None]
) -> Callable[..., Callable[[], int]]:
    """`call(method, path, body, extra headers, cold)`: a scenario of one request of the tenant; a warm one
    (cold=False) runs with the tenant's settings, list shard counts and what `cached` loads in the cache."""
    from loyalty.repository import list_shards
    from loyalty.services import program

    def call(
        method: str, path: str, body: str = "", extra: dict[str, str] | None = None, cold: bool = True
    ) -> Callable[[], int]:
        def run() -> int:
            if cold:
                program.forget_cache()
            else:  # a warm container: settings, shard counts and activities already in its 30 s cache
                was, counter.active = counter.active, False
                program.load(tenant_id)
                list_shards.counts(tenant_id)
                cached()
                counter.active = was
            route, _, query = path.partition("?")
            return gateway.handle(method, f"/{STAGE}{route}", query, {**headers, **(extra or {})}, body.encode()).status

        return run

    return call


def _seeder(gateway: Any, headers: dict[str, str]) -> Callable[..., Any]:
    """`seed(method, path, body)`: one set-up request of the tenant (not a scenario); its data."""
    import json

    def seed(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        answer = gateway.handle(method, f"/{STAGE}{path}", "", headers, json.dumps(body or {}).encode())
        assert answer.status < 300, answer.body
        return json.loads(answer.body)["data"]

    return seed


def _referral_scenarios(
    seed: Callable[..., Any], call: Callable[..., Callable[[], int]], counter: Pausable
) -> Iterator[Scenario]:
    """Referrals: a referrer and new members it refers, both awarded (visit: fixed; checkin: capped)."""
    import json

    counting, counter.active = counter.active, False
    seed("PATCH", "/program", {"referrerActivityId": "checkin", "refereeActivityId": "visit"})
    referrer = seed("POST", "/members", {"email": "referrer@x.io"})
    referees = [seed("POST", "/members", {"email": f"referee{i}@x.io"})["memberId"] for i in range(3)]
    counter.active = counting
    code = json.dumps({"referralCode": referrer["referralCode"]})
    key = {"Idempotency-Key": "bench-referral"}
    yield (
        "POST /members/{id}/referral (both awards)",
        call("POST", f"/members/{referees[0]}/referral", code, cold=False),
    )
    yield (
        "POST /members/{id}/referral with Idempotency-Key",
        call("POST", f"/members/{referees[1]}/referral", code, key, False),
    )
    yield ("POST /members/{id}/referral replay", call("POST", f"/members/{referees[1]}/referral", code, key, False))
    yield (
        "POST /members/{id}/referral (already referred)",
        call("POST", f"/members/{referees[0]}/referral", code, cold=False),
    )
    yield ("GET /members/{id}/referrals (page)", call("GET", f"/members/{referrer['memberId']}/referrals", cold=False))


def _challenge_scenarios(
    seed: Callable[..., Any], call: Callable[..., Callable[[], int]], member_id: str, counter: Pausable
) -> Iterator[Scenario]:
    """Challenges (issue 25): the catalog, responses (immediate with its award, manual, limited per day), their
    decisions and both lists (the challenge's is write-sharded: one Query at the default count)."""
    import json

    counting, counter.active = counter.active, False
    base = {"type": "text", "activityId": "visit", "status": "published"}
    seed("POST", "/challenges", {**base, "challengeId": "bench-now", "name": "Now", "approvalMethod": "immediate"})
    daily = {"maxResponsesPerMember": 1, "maxResponsesPerMemberInterval": "day"}
    seed("POST", "/challenges", {**base, "challengeId": "bench-manual", "name": "Manual", **daily})
    answer = {"memberId": member_id, "answer": {"text": "done"}}
    pending = [seed("POST", "/challenges/bench-manual/responses", answer)["responseId"]]
    others = [seed("POST", "/members", {"email": f"challenger{i}@x.io"})["memberId"] for i in range(2)]
    pending += [
        seed("POST", "/challenges/bench-manual/responses", {**answer, "memberId": m})["responseId"] for m in others
    ]
    counter.active = counting
    body = json.dumps({"challengeId": "bench-new", "name": "New", **base})
    yield ("POST /challenges", call("POST", "/challenges", body, cold=False))
    yield ("GET /challenges (page)", call("GET", "/challenges?status=published", cold=False))
    yield ("GET /challenges/{id}", call("GET", "/challenges/bench-now", cold=False))
    yield ("PATCH /challenges/{id}", call("PATCH", "/challenges/bench-new", '{"name": "Newer"}', cold=False))
    yield (
        "POST /challenges/{id}/responses (immediate: with its award)",
        call("POST", "/challenges/bench-now/responses", json.dumps(answer), cold=False),
    )
    yield (
        "POST /challenges/{id}/responses (limit reached)",
        call("POST", "/challenges/bench-manual/responses", json.dumps(answer), cold=False),
    )
    yield (
        "POST /challenge-responses/{id}/approve",
        call("POST", f"/challenge-responses/{pending[1]}/approve", cold=False),
    )
    reason = json.dumps({"reason": "blurry"})
    yield (
        "POST /challenge-responses/{id}/reject",
        call("POST", f"/challenge-responses/{pending[2]}/reject", reason, cold=False),
    )
    yield ("GET /challenges/{id}/responses (page)", call("GET", "/challenges/bench-manual/responses", cold=False))
    yield (
        "GET /members/{id}/challenge-responses (page)",
        call("GET", f"/members/{member_id}/challenge-responses?status=pending", cold=False),
    )


def _event_scenarios(call: Callable[..., Callable[[], int]], member_id: str, counter: Pausable) -> Iterator[Scenario]:
    """Events (§13): the member's ledger entries' events, stored as the stream consumer stores them (the bench's
    engine has no stream), then a page and one event read."""
    from loyalty import clock
    from loyalty.repository import ledger, store
    from loyalty.services import event_store, events

    counting, counter.active = counter.active, False
    built = []
    for entry in ledger.of_member("bench", member_id).all():
        entry_key = ledger.key("bench", entry["transactionId"])
        change = events.Change(entry_key["pk"], entry_key["sk"], None, dict(store.plain(entry)), clock.iso(clock.now()))
        built += events.build(change)
    stored = event_store.store_built(built)
    counter.active = counting
    yield ("GET /events (page)", call("GET", "/events", cold=False))
    yield ("GET /events?type=points.awarded (page)", call("GET", "/events?type=points.awarded", cold=False))
    yield ("GET /events/{id}", call("GET", f"/events/{stored[0]['id']}", cold=False))


def _import_job_scenarios(seed: Callable[..., Any], call: Callable[..., Callable[[], int]]) -> Iterator[Scenario]:
    """Deployed bulk imports (§14, issue 26): starting one (an item and a presigned URL: no S3 call, the signature is
    computed locally) and reading one back. The workflow's own throughput is in docs/deploy.md ("Bulk imports")."""
    import json

    started = seed("POST", "/imports", {"kind": "members"})["importId"]
    yield ("POST /imports", call("POST", "/imports", json.dumps({"kind": "members"}), cold=False))
    yield ("GET /imports/{id}", call("GET", f"/imports/{started}", cold=False))


def _webhook_scenarios(
    seed: Callable[..., Any], call: Callable[..., Callable[[], int]], counter: Pausable
) -> Iterator[Scenario]:
    """Webhook endpoints (§13, issue 24): 19 registered, so the measured create is the 20th and the next one
    meets the limit; then a page of the 20, one read, a change, a rotation and a delete."""
    import json
    import os

    from loyalty.url_guard import ALLOW_LOCAL_ENV

    os.environ.setdefault(ALLOW_LOCAL_ENV, "1")  # the bench serves locally: receivers on 127.0.0.1
    endpoint = {"url": "http://127.0.0.1:9/hook", "events": ["points.awarded", "tier.changed"]}
    counting, counter.active = counter.active, False
    first = seed("POST", "/webhooks", endpoint)["webhookId"]
    for _ in range(18):
        seed("POST", "/webhooks", endpoint)
    counter.active = counting
    w = f"/webhooks/{first}"
    yield ("POST /webhooks (the 20th)", call("POST", "/webhooks", json.dumps(endpoint), cold=False))
    yield ("POST /webhooks (limit reached)", call("POST", "/webhooks", json.dumps(endpoint), cold=False))
    yield ("GET /webhooks (page of 20)", call("GET", "/webhooks", cold=False))
    yield ("GET /webhooks/{id}", call("GET", w, cold=False))
    yield ("PATCH /webhooks/{id}", call("PATCH", w, '{"enabled": false}', cold=False))
    yield ("POST /webhooks/{id}/rotate-secret", call("POST", f"{w}/rotate-secret", cold=False))
    yield ("DELETE /webhooks/{id}", call("DELETE", w, cold=False))


def _delivery_scenarios(
    seed: Callable[..., Any], call: Callable[..., Callable[[], int]], counter: Pausable
) -> Iterator[Scenario]:
    """Webhook deliveries (§13, issue 24): 30 events fanned out to an endpoint (a receiver that refuses), then a
    page of its deliveries, a retry by hand, and one attempt as the queue's consumer makes it (DynamoDB calls per
    attempt: the delivery, the endpoint, a slot's lease taken and given back, the record, the endpoint's health,
    the next attempt queued). Latency and fan-out throughput are measured by tools/bench_webhooks.py."""
    from loyalty import ids
    from loyalty.repository import deliveries
    from loyalty.services import webhook_delivery

    counting, counter.active = counter.active, False
    hook = seed("POST", "/webhooks", {"url": "http://127.0.0.1:9/hook", "events": ["points.awarded"]})["webhookId"]
    events = [
        {"id": f"evt_{ids.ulid()}", "type": "points.awarded", "timestamp": "2099-01-01T00:00:00Z", "tenantId": "bench"}
        for _ in range(30)
    ]
    webhook_delivery.fan_out([{**event, "data": {"points": 5}} for event in events])
    delivery = deliveries.delivery_id(events[0]["id"], hook)
    counter.active = counting
    yield ("GET /webhooks/{id}/deliveries (page)", call("GET", f"/webhooks/{hook}/deliveries", cold=False))
    yield (
        "POST /webhooks/{id}/deliveries/{id}/retry",
        call("POST", f"/webhooks/{hook}/deliveries/{delivery}/retry", cold=False),
    )

    def attempt() -> int:
        made = deliveries.get("bench", delivery) or {}
        message = {"tenantId": "bench", "webhookId": hook, "deliveryId": delivery, "attempt": made.get("attempts", 0)}
        return 200 if webhook_delivery.attempt(message) == "pending" else 500

    yield ("deliver_webhooks: one attempt (refused, retried later)", attempt)


WIDE = 32  # the list shard count of the second tenant (the first has the default, 1)


def _wide_scenarios(members: int, counter: Pausable, gateway: Any) -> Iterator[Scenario]:
    """The program-wide pages again, of a tenant whose lists have 32 shards (`loyalty tenant shards T --lists
    32`), with as many members, each with an award and (the first 100) an offer redemption."""
    from loyalty.services import tenants

    tenants.create_tenant("wide", "Wide", lists=WIDE)
    key = tenants.issue_key("wide", ["admin"])["key"]
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    seed = _seeder(gateway, headers)
    counting, counter.active = counter.active, False
    seed("POST", "/activities", {"activityId": "visit", "name": "Visit", "points": 500})
    seed("POST", "/offers", {"offerCode": "WIDE", "name": "W", "rewardType": "amount", "offerAmount": "1",
                             "status": "published"})  # fmt: skip
    for i in range(members):
        member_id = seed("POST", "/members", {"email": f"w{i}@x.io"})["memberId"]
        seed("POST", f"/members/{member_id}/awards", {"activityId": "visit"})
        if i < 100:
            seed("POST", "/offer-redemptions", {"teamId": "wide", "offerCode": "WIDE", "memberId": member_id})
    counter.active = counting
    call = _caller(gateway, counter, "wide", headers, lambda: None)
    yield (f"GET /members (page of 25), {WIDE} shards", call("GET", "/members", cold=False))
    yield (f"GET /transactions?type=award (page), {WIDE} shards", call("GET", "/transactions?type=award", cold=False))
    yield (f"GET /offer-redemptions (page), {WIDE} shards", call("GET", "/offer-redemptions", cold=False))


OFFERS = 1000
OFFER_CODES = ("BENCH-AMT", "BENCH-PCT", "BENCH-PTS", "BENCH-CLIP")


def _offer_scenarios(
    seed: Callable[..., Any], call: Callable[..., Callable[[], int]], member_id: str, counter: Pausable
) -> Iterator[Scenario]:
    """Offers with 1,000 published offers in the catalog (and the members of the run)."""
    import json

    counting, counter.active = counter.active, False
    for i in range(OFFERS - len(OFFER_CODES)):
        seed(
            "POST",
            "/offers",
            {
                "offerCode": f"O{i}",
                "name": "O",
                "rewardType": "amount",
                "offerAmount": "1",
                "status": "published",
                "maxRedemptionsTotal": 1000,
            },
        )
    ids = {}
    offers: tuple[dict[str, Any], ...] = (
        {"rewardType": "amount", "offerAmount": "5.00"},
        {"rewardType": "percentage", "offerAmount": "20", "maxRewardAmount": "10.00", "maxRedemptionsTotal": 10000},
        {"rewardType": "points", "offerAmount": "50", "maxRedemptionsPerMember": 100},
        {"rewardType": "amount", "offerAmount": "2.00", "requiresActivation": True},
    )
    for code, fields in zip(OFFER_CODES, offers, strict=True):
        ids[code] = seed("POST", "/offers", {"offerCode": code, "name": code, "status": "published", **fields})[
            "offerId"
        ]
    m = f"/members/{member_id}"
    seed("POST", f"{m}/offers/{ids['BENCH-CLIP']}/activation")
    first = seed(
        "POST",
        "/offer-redemptions",
        {"teamId": "bench", "offerCode": "BENCH-AMT", "memberId": member_id, "orderId": "seeded"},
    )
    to_reverse = seed(  # issue 23: reversed below
        "POST",
        "/offer-redemptions",
        {"teamId": "bench", "offerCode": "BENCH-PTS", "memberId": member_id, "orderId": "seeded-pts"},
    )
    counter.active = counting

    def redemption(code: str, order_id: str, **fields: Any) -> str:
        return json.dumps(
            {
                "teamId": "bench",
                "offerCode": code,
                "memberId": member_id,
                "orderId": order_id,
                "value": "42.50",
                **fields,
            }
        )

    create = json.dumps({"offerCode": "NEW", "name": "New", "rewardType": "points", "offerAmount": "10"})
    yield ("POST /offers", call("POST", "/offers", create, cold=False))
    yield ("GET /offers/{id}", call("GET", f"/offers/{ids['BENCH-PCT']}", cold=False))
    yield ("GET /offers (page of 25 of 1,000)", call("GET", "/offers", cold=False))
    yield ("GET /offers?status=published (page)", call("GET", "/offers?status=published", cold=False))
    yield ("GET /offers?offerCode=", call("GET", "/offers?offerCode=BENCH-PCT", cold=False))
    yield ("PATCH /offers/{id}", call("PATCH", f"/offers/{ids['BENCH-AMT']}", '{"name": "Renamed"}', cold=False))
    yield (
        "PATCH /offers/{id} (maxRedemptionsTotal)",
        call("PATCH", f"/offers/{ids['BENCH-PCT']}", '{"maxRedemptionsTotal": 20000}', cold=False),
    )
    yield ("GET /members/{id}/offers (page of 25)", call("GET", f"{m}/offers", cold=False))
    clip = f"{m}/offers/{ids['BENCH-AMT']}/activation"
    yield ("POST /members/{id}/offers/{id}/activation", call("POST", clip, cold=False))
    yield ("POST .../activation again", call("POST", clip, cold=False))
    yield ("DELETE /members/{id}/offers/{id}/activation", call("DELETE", clip, cold=False))
    yield (
        "POST /offer-redemptions (amount)",
        call("POST", "/offer-redemptions", redemption("BENCH-AMT", "b-1"), cold=False),
    )
    yield (
        "POST /offer-redemptions (percentage, total limit)",
        call("POST", "/offer-redemptions", redemption("BENCH-PCT", "b-2"), cold=False),
    )
    yield (
        "POST /offer-redemptions (points)",
        call("POST", "/offer-redemptions", redemption("BENCH-PTS", "b-3"), cold=False),
    )
    yield (
        "POST /offer-redemptions (activation needed)",
        call("POST", "/offer-redemptions", redemption("BENCH-CLIP", "b-4"), cold=False),
    )
    yield (
        "POST /offer-redemptions (cold container)",
        call("POST", "/offer-redemptions", redemption("BENCH-AMT", "b-5")),
    )
    key = {"Idempotency-Key": "bench-offer"}
    body = redemption("BENCH-PTS", "b-6")
    yield ("POST /offer-redemptions with Idempotency-Key", call("POST", "/offer-redemptions", body, key, False))
    yield ("POST /offer-redemptions replay", call("POST", "/offer-redemptions", body, key, False))
    yield (
        "POST /offer-redemptions (same order again)",
        call("POST", "/offer-redemptions", redemption("BENCH-AMT", "b-1"), cold=False),
    )
    yield ("GET /offer-redemptions (page)", call("GET", "/offer-redemptions", cold=False))
    yield (
        "GET /offer-redemptions?offerCode= (page)",
        call("GET", "/offer-redemptions?offerCode=BENCH-AMT", cold=False),
    )
    yield ("GET /offer-redemptions/{id}", call("GET", f"/offer-redemptions/{first['id']}", cold=False))
    yield ("GET /members/{id}/offer-redemptions (page)", call("GET", f"{m}/offer-redemptions", cold=False))
    # issue 23: reversing an offer redemption (points taken back), then a later call answering it again
    reverse, why = f"/offer-redemptions/{to_reverse['id']}/reverse", '{"reason": "bench"}'
    yield ("POST /offer-redemptions/{id}/reverse (pts)", call("POST", reverse, why, cold=False))
    yield ("POST /offer-redemptions/{id}/reverse replay", call("POST", reverse, why, cold=False))
    yield (
        "POST /offer-redemptions/{id}/reverse (amt)",
        call("POST", f"/offer-redemptions/{first['id']}/reverse", cold=False),
    )


def _voucher_scenarios(
    seed: Callable[..., Any], call: Callable[..., Callable[[], int]], member_id: str, counter: Pausable
) -> Iterator[Scenario]:
    """Vouchers: an offer that generates codes, one with a preloaded pool, and vouchers to redeem and cancel."""
    import json

    counting, counter.active = counter.active, False
    running = {"name": "Five off", "rewardType": "amount", "offerAmount": "5.00", "status": "published"}
    generated = seed("POST", "/offers", {"offerCode": "BENCH-GEN", **running})["offerId"]
    pooled = seed("POST", "/offers", {"offerCode": "BENCH-POOL", **running, "maxRedemptionsPerMember": 1000})["offerId"]
    seed("POST", f"/offers/{pooled}/voucher-codes", {"codes": [f"BENCH-{i:04d}" for i in range(200)]})
    made = [seed("POST", f"/offers/{generated}/vouchers", {"customerName": "Bench"}) for _ in range(4)]
    counter.active = counting
    to_member = json.dumps({"memberId": member_id})
    yield (
        "POST /offers/{id}/vouchers (generated code)",
        call("POST", f"/offers/{generated}/vouchers", to_member, cold=False),
    )
    yield (
        "POST /offers/{id}/vouchers (pooled code)",
        call("POST", f"/offers/{pooled}/vouchers", to_member, cold=False),
    )
    keyed = {"Idempotency-Key": "bench-voucher"}
    yield (
        "POST /offers/{id}/vouchers with Idempotency-Key",
        call("POST", f"/offers/{generated}/vouchers", to_member, keyed, False),
    )
    yield ("POST /offers/{id}/vouchers replay", call("POST", f"/offers/{generated}/vouchers", to_member, keyed, False))
    codes = json.dumps({"codes": [f"NEW-{i:04d}" for i in range(50)]})
    yield (
        "POST /offers/{id}/voucher-codes (50 codes)",
        call("POST", f"/offers/{pooled}/voucher-codes", codes, cold=False),
    )
    yield ("GET /vouchers/{id}", call("GET", f"/vouchers/{made[0]['voucherId']}", cold=False))
    yield ("GET /vouchers/{code}", call("GET", f"/vouchers/{made[0]['redemptionCode']}", cold=False))
    yield ("GET /vouchers/{code} (unknown code)", call("GET", "/vouchers/NOPE-NOPE-NOPE", cold=False))
    yield (
        "GET /offers/{id}/vouchers/{voucherId}",
        call("GET", f"/offers/{generated}/vouchers/{made[0]['voucherId']}", cold=False),
    )
    yield ("GET /offers/{id}/vouchers (page)", call("GET", f"/offers/{generated}/vouchers", cold=False))
    yield (
        "GET /offers/{id}/vouchers?status=acquired (page)",
        call("GET", f"/offers/{generated}/vouchers?status=acquired", cold=False),
    )
    yield ("GET /members/{id}/vouchers (page)", call("GET", f"/members/{member_id}/vouchers", cold=False))
    yield (
        "GET /members/{id}/vouchers?status=acquired (page)",
        call("GET", f"/members/{member_id}/vouchers?status=acquired", cold=False),
    )
    order = json.dumps({"orderId": "bench-order"})
    yield (
        "POST /vouchers/{code}/redeem",
        call("POST", f"/vouchers/{made[0]['redemptionCode']}/redeem", order, cold=False),
    )
    yield ("POST /vouchers/{id}/redeem", call("POST", f"/vouchers/{made[1]['voucherId']}/redeem", order, cold=False))
    yield (
        "POST /vouchers/{id}/redeem (already redeemed)",
        call("POST", f"/vouchers/{made[1]['voucherId']}/redeem", cold=False),
    )
    yield ("POST /vouchers/{id}/cancel", call("POST", f"/vouchers/{made[2]['voucherId']}/cancel", "{}", cold=False))
    yield (
        "POST /vouchers/{code}/cancel",
        call("POST", f"/vouchers/{made[3]['redemptionCode']}/cancel", "{}", cold=False),
    )


def _oauth_scenarios(gateway: Any, counter: Pausable, member_id: str) -> Iterator[Scenario]:
    """§12: POST /oauth/token (the public route: a form, no Bearer) and the authorizer's work for a token."""
    from urllib.parse import urlencode

    from loyalty.services import oauth
    from loyalty.services.authorizer import authorize

    counting, counter.active = counter.active, False
    client = oauth.create_client("bench", ["integration", "read"], "bench")
    counter.active = counting
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    fields = {
        "grant_type": "client_credentials",
        "client_id": client["clientId"],
        "client_secret": client["clientSecret"],
    }
    tokens: list[str] = []

    def token(body: dict[str, str], cold: bool) -> Callable[[], int]:
        def run() -> int:
            if cold:
                oauth.forget_keys()
            answer = gateway.handle("POST", f"/{STAGE}/oauth/token", "", form, urlencode(body).encode())
            if answer.status == 200:
                import json

                tokens.append(json.loads(answer.body)["access_token"])
            return int(answer.status)

        return run

    def authorizer() -> int:
        arn = f"arn:aws:execute-api:us-east-1:1:a/{STAGE}/GET/members/{member_id}"
        decision = authorize("Bearer " + tokens[-1], arn)
        return 200 if decision["policyDocument"]["Statement"][0]["Effect"] == "Allow" else 403

    yield ("POST /oauth/token (first: makes signing key)", token(fields, cold=True))
    yield ("POST /oauth/token (cold container)", token(fields, cold=True))
    yield ("POST /oauth/token", token(fields, cold=False))
    yield ("POST /oauth/token (scope=read)", token({**fields, "scope": "read"}, cold=False))
    yield ("POST /oauth/token (wrong secret: 401)", token({**fields, "client_secret": "cs_wrong"}, cold=False))
    yield ("POST /oauth/token (unknown client: 401)", token({**fields, "client_id": "oc_nobody"}, cold=False))
    yield ("authorizer: access token (uncached)", authorizer)


# --- segments and targeting (issue 25) ---------------------------------------------------------------------

TARGETED_OFFER, TARGETED_REWARD = "BENCH-CLUB", "club-mug"


def _segment_scenarios(
    seed: Callable[..., Any], call: Callable[..., Callable[[], int]], member_id: str, counter: Pausable
) -> Iterator[Scenario]:
    """Segments (§11): 20 segments, one of them with 20 members included by override (and every member of the
    run by its rules), an offer and a reward aimed at it and excluding another: a targeted use reads the
    segments and the member's overrides by key (one BatchGetItem) whatever the segments' sizes."""
    import json

    counting, counter.active = counter.active, False
    club = {"segmentId": "club", "name": "Club", "rules": {"minQualified": 1}}
    seed("POST", "/segments", club)
    seed("POST", "/segments", {"segmentId": "banned", "name": "Banned", "rules": {"tags": ["banned"]}})
    for i in range(17):
        seed("POST", "/segments", {"segmentId": f"s{i}", "name": f"S{i}", "rules": {"maxQualified": i}})
    for i in range(20):
        other = seed("POST", "/members", {"email": f"club{i}@x.io"})["memberId"]
        seed("PUT", f"/segments/club/members/{other}", {"type": "include"})
    aimed = {"segmentIds": ["club"], "excludedSegmentIds": ["banned"]}
    offer = seed(
        "POST",
        "/offers",
        {"offerCode": TARGETED_OFFER, "name": "Club", "rewardType": "amount", "offerAmount": "5.00",
         "status": "published", "requiresActivation": True, **aimed},
    )["offerId"]  # fmt: skip
    mug = {"rewardId": TARGETED_REWARD, "name": "Club mug", "pointsCost": 1, "fulfillment": "manual"}
    seed("POST", "/rewards", {**mug, "isActive": True, **aimed})
    counter.active = counting
    m = f"/members/{member_id}"
    segment = json.dumps({"segmentId": "new", "name": "New", "rules": {"tierIds": [], "tags": ["vip"]}})
    yield ("POST /segments (the 20th)", call("POST", "/segments", segment, cold=False))
    yield ("GET /segments (page of 20)", call("GET", "/segments", cold=False))
    yield ("GET /segments/{id}", call("GET", "/segments/club", cold=False))
    yield ("PATCH /segments/{id}", call("PATCH", "/segments/club", '{"rules": {"minQualified": 2}}', cold=False))
    include = '{"type": "include"}'
    yield ("PUT /segments/{id}/members/{id}", call("PUT", f"/segments/banned/members/{member_id}", include, cold=False))
    yield ("DELETE /segments/{id}/members/{id}", call("DELETE", f"/segments/banned/members/{member_id}", cold=False))
    yield ("GET /members/{id}/segments (page of 20)", call("GET", f"{m}/segments", cold=False))
    yield (
        "POST /members/{id}/offers/{id}/activation (targeted)",
        call("POST", f"{m}/offers/{offer}/activation", cold=False),
    )
    use = {"teamId": "bench", "offerCode": TARGETED_OFFER, "memberId": member_id, "orderId": "club-1"}
    yield ("POST /offer-redemptions (targeted)", call("POST", "/offer-redemptions", json.dumps(use), cold=False))
    yield (
        "POST /members/{id}/redemptions (targeted)",
        call("POST", f"{m}/redemptions", json.dumps({"rewardId": TARGETED_REWARD}), cold=False),
    )


def _promo_scenarios(
    seed: Callable[..., Any], call: Callable[..., Callable[[], int]], member_id: str, counter: Pausable
) -> Iterator[Scenario]:
    """Reward grants and promo codes (§11, issue 25): a grant of a coupon reward; promotions (a shared code, a
    single-use pool of 100) created, read, listed, disabled; a member using a shared code and a pool code (the
    award with the use's counters: 3 BatchGetItems and one transaction, whatever the members or codes)."""
    import json

    counting, counter.active = counter.active, False
    seed(
        "POST",
        "/promo-codes",
        {"code": "BENCH", "activityId": "visit", "maxUsesTotal": 1000000, "maxUsesPerMember": None},
    )
    seed("POST", "/promo-codes", {"code": "FLYER", "activityId": "visit", "singleUse": True})
    seed("POST", "/promo-codes/FLYER/codes", {"codes": [f"FLY-{i}" for i in range(100)]})
    seed("POST", "/promo-codes", {"code": "ONCE", "activityId": "visit"})
    seed("POST", f"/members/{member_id}/promo-codes", {"code": "ONCE"})
    counter.active = counting
    m = f"/members/{member_id}"
    grant = json.dumps({"rewardId": "coffee", "reason": "Late order"})
    yield ("POST /members/{id}/reward-grants (coupon)", call("POST", f"{m}/reward-grants", grant, cold=False))
    new = json.dumps({"code": "NEW-PROMO", "activityId": "visit", "maxUsesTotal": 10})
    yield ("POST /promo-codes (shared, total limit)", call("POST", "/promo-codes", new, cold=False))
    pool = json.dumps({"code": "NEW-POOL", "activityId": "visit", "singleUse": True})
    yield ("POST /promo-codes (singleUse)", call("POST", "/promo-codes", pool, cold=False))
    codes = json.dumps({"codes": [f"NEWFLY-{i}" for i in range(50)]})
    yield ("POST /promo-codes/{code}/codes (50 codes)", call("POST", "/promo-codes/FLYER/codes", codes, cold=False))
    yield ("GET /promo-codes/{code} (pool)", call("GET", "/promo-codes/FLYER", cold=False))
    yield ("GET /promo-codes (page)", call("GET", "/promo-codes", cold=False))
    shared = json.dumps({"code": "bench"})
    yield ("POST /members/{id}/promo-codes (shared)", call("POST", f"{m}/promo-codes", shared, cold=False))
    yield (
        "POST /members/{id}/promo-codes (pool code)",
        call("POST", f"{m}/promo-codes", json.dumps({"code": "fly-7"}), cold=False),
    )
    yield (
        "POST /members/{id}/promo-codes (member limit reached)",
        call("POST", f"{m}/promo-codes", json.dumps({"code": "once"}), cold=False),
    )
    yield ("PATCH /promo-codes/{code}", call("PATCH", "/promo-codes/BENCH", '{"status": "disabled"}', cold=False))
