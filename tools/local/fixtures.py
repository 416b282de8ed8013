"""The fixture set for `loyalty invoke`: the data every events/ sample refers to, made through the API itself.

The samples (tools/local/sample_events.py) name tenant `demo`, its example key, one member, one
pending transaction, order `order-1001`, reward `coffee-5` with codes, one pending redemption, the
spring offer with its member's activation, one offer redemption and one voucher from its code pool, and one
webhook endpoint (a receiver on 127.0.0.1: `invoke` serves locally, LOYALTY_WEBHOOKS_ALLOW_LOCAL=1). Each step is a real
request through the local gateway and handlers; the three ids the services generate are pinned to
the samples' ids. A sample that creates something runs without the step that would create it first.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tools.local.sample_events import HEADERS, SAMPLES

# the ids and the key the samples name
EXAMPLE_KEY = HEADERS["Authorization"].removeprefix("Bearer ")
MEMBER_ID = SAMPLES["get_member"][0]["memberId"]
TRANSACTION_ID = SAMPLES["get_transaction"][0]["transactionId"]
REDEMPTION_ID = SAMPLES["get_redemption"][0]["redemptionId"]
REWARD = SAMPLES["create_reward"][1]  # the reward the create_reward sample makes
OFFER = SAMPLES["create_offer"][1]  # the offer the create_offer sample makes
OFFER_ID = SAMPLES["get_offer"][0]["offerId"]
OFFER_REDEMPTION = SAMPLES["create_offer_redemption"][1]
OFFER_REDEMPTION_ID = SAMPLES["get_offer_redemption"][0]["id"]
VOUCHER_ID = SAMPLES["get_offer_voucher"][0]["voucherId"]
VOUCHER_CODE = SAMPLES["get_voucher"][0]["voucherIdOrCode"]
REFERRER_ID = SAMPLES["list_member_referrals"][0]["memberId"]
REFERRAL_CODE = SAMPLES["create_referral"][1]["referralCode"]
EVENT_ID = SAMPLES["get_event"][0]["eventId"]
CHALLENGE = SAMPLES["create_challenge"][1]  # the challenge the create_challenge sample makes
RESPONSE_ID = SAMPLES["approve_challenge_response"][0]["responseId"]
WEBHOOK_ID = SAMPLES["get_webhook"][0]["webhookId"]
WEBHOOK = SAMPLES["create_webhook"][1]  # the endpoint the create_webhook sample makes
SEGMENT = SAMPLES["create_segment"][1]  # the segment the create_segment sample makes
PROMO = SAMPLES["create_promo_code"][1]  # the shared promo code the create_promo_code sample makes
PROMO_POOL = SAMPLES["add_promo_codes"][0]["code"]  # the single-use promotion the pool samples name
IMPORT_ID = SAMPLES["get_import"][0]["importId"]  # issue 26: an import awaiting its upload


@dataclass(frozen=True)
class Step:
    name: str
    method: str
    path: str
    body: dict[str, Any] | None = None
    pinned_id: str | None = None  # the id the service generates in this step
    check: str | None = None  # a GET that proves the pinned id exists
    only_for: frozenset[str] | None = None  # run only for these samples (None: for every sample)
    pinned_code: str | None = None  # the referral code the service generates in this step


M = f"/members/{MEMBER_ID}"
STEPS = [
    Step("tiers", "PATCH", "/program", {"tiers": [{"tierId": "silver", "name": "Silver", "threshold": 0},
                                                 {"tierId": "gold", "name": "Gold", "threshold": 1000}]}),
    Step("newsletter", "POST", "/activities", {"activityId": "newsletter-signup", "name": "Newsletter", "points": 100}),
    Step("bonus", "POST", "/activities", {"activityId": "bonus", "name": "Welcome bonus", "points": 2000}),
    Step("survey", "POST", "/activities", {"activityId": "survey", "name": "Survey", "points": 10,
                                           "approvalMethod": "manual"}),
    Step("sale", "POST", "/activities", {"activityId": "sale", "name": "Sale", "type": "multiplier", "multiplier": 1,
                                         "isSaleActivity": True}),
    Step("sale activity", "PATCH", "/program", {"saleActivityId": "sale"}),
    Step("purchase", "POST", "/activities", {"activityId": "purchase", "name": "Purchase", "type": "multiplier",
                                             "multiplier": 2, "isSaleActivity": True}),
    Step("member", "POST", "/members", {"email": "grace@example.com", "externalId": "cust-1000", "firstName": "Grace"},
         pinned_id=MEMBER_ID, check=M),
    Step("points", "POST", f"{M}/awards", {"activityId": "bonus"}),
    Step("pending transaction", "POST", f"{M}/awards", {"activityId": "survey"},
         pinned_id=TRANSACTION_ID, check=f"/transactions/{TRANSACTION_ID}"),
    Step("order", "POST", "/orders", {"orderId": "order-1001", "memberId": MEMBER_ID, "total": "59.90"}),
    Step("reward", "POST", "/rewards", REWARD),
    Step("codes", "POST", "/rewards/coffee-5/codes", {"codes": ["CAFE-FIXT-0001", "CAFE-FIXT-0002", "CAFE-FIXT-0003"]}),
    Step("manual reward", "POST", "/rewards", {"rewardId": "tote-bag", "name": "Tote bag", "pointsCost": 300,
                                               "fulfillment": "manual", "isActive": True}),
    Step("redemption", "POST", f"{M}/redemptions", {"rewardId": "tote-bag"},
         pinned_id=REDEMPTION_ID, check=f"/redemptions/{REDEMPTION_ID}"),
    Step("offer", "POST", "/offers", OFFER, pinned_id=OFFER_ID, check=f"/offers/{OFFER_ID}"),
    Step("activation", "POST", f"{M}/offers/{OFFER_ID}/activation"),
    Step("offer redemption", "POST", "/offer-redemptions", OFFER_REDEMPTION,
         pinned_id=OFFER_REDEMPTION_ID, check=f"/offer-redemptions/{OFFER_REDEMPTION_ID}"),
    Step("voucher codes", "POST", f"/offers/{OFFER_ID}/voucher-codes", {"codes": [VOUCHER_CODE]}),
    Step("voucher", "POST", f"/offers/{OFFER_ID}/vouchers", {"customerName": "Grace Hopper"},
         pinned_id=VOUCHER_ID, check=f"/offers/{OFFER_ID}/vouchers/{VOUCHER_ID}"),
    Step("member voucher", "POST", f"/offers/{OFFER_ID}/vouchers", {"memberId": MEMBER_ID},
         only_for=frozenset({"list_member_vouchers"})),
    Step("referrer", "POST", "/members", {"email": "ben@example.com", "firstName": "Ben"},
         pinned_id=REFERRER_ID, check=f"/members/{REFERRER_ID}", pinned_code=REFERRAL_CODE),
    Step("referral", "POST", f"{M}/referral", {"referralCode": REFERRAL_CODE},
         only_for=frozenset({"list_member_referrals"})),
    Step("challenge", "POST", "/challenges", CHALLENGE),
    Step("challenge response", "POST", f"/challenges/{CHALLENGE['challengeId']}/responses",
         {"memberId": MEMBER_ID, "answer": {"photoUrl": "https://img.example.com/fixture.jpg"}},
         pinned_id=RESPONSE_ID, check=f"/members/{MEMBER_ID}/challenge-responses"),
    Step("webhook", "POST", "/webhooks", WEBHOOK, pinned_id=WEBHOOK_ID.removeprefix("wh_"),
         check=f"/webhooks/{WEBHOOK_ID}"),
    Step("segment", "POST", "/segments", SEGMENT, check=f"/segments/{SEGMENT['segmentId']}"),
    # issue 25: promo codes (a shared one, a single-use promotion)
    Step("promo activity", "POST", "/activities", {"activityId": PROMO["activityId"], "name": "Summer promo",
                                                   "points": 250}),
    Step("promo code", "POST", "/promo-codes", PROMO),
    Step("promo pool", "POST", "/promo-codes", {"code": PROMO_POOL, "activityId": PROMO["activityId"],
                                                "singleUse": True}),
    # issue 26: a deployed import, awaiting its upload
    Step("import", "POST", "/imports", SAMPLES["create_import"][1], pinned_id=IMPORT_ID.removeprefix("imp_"),
         check=f"/imports/{IMPORT_ID}"),
]  # fmt: skip

# a sample that creates something runs without the steps that would create it (or need it) first
SKIPPED_FOR = {
    "create_activity": {"purchase"},
    "create_order": {"order"},
    "create_reward": {"reward", "codes"},
    "create_offer": {"offer", "activation", "offer redemption", "voucher codes", "voucher"},
    # the member's one use of the offer stays free for these samples
    "create_offer_redemption": {"offer redemption"},
    "list_member_offers": {"offer redemption"},  # so the offer is one the member may still use
    "issue_voucher": {"offer redemption", "voucher"},  # and the pool's one code
    "list_member_vouchers": {"offer redemption", "voucher codes"},  # the member's one use: its voucher (generated code)
    "create_webhook": {"webhook"},
    "create_segment": {"segment"},
    "create_challenge": {"challenge", "challenge response"},
    "create_challenge_response": {"challenge response"},  # the member's one response a day stays free
    "create_promo_code": {"promo code"},
    "create_import": {"import"},
}


@contextlib.contextmanager
def _next_ulid(wanted: str | None) -> Iterator[None]:
    from loyalty import ids

    originals, pending = {"ulid": ids.ulid, "secret_ulid": ids.secret_ulid}, [wanted] if wanted else []

    def pinned(name: str) -> Any:
        def make(at: Any = None) -> str:
            return pending.pop() if pending else originals[name](at)

        return make

    for name in originals:  # whichever kind of id the step makes first is the pinned one
        setattr(ids, name, pinned(name))
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(ids, name, original)


@contextlib.contextmanager
def _next_code(wanted: str | None) -> Iterator[None]:
    """The step's first random code (a member's referral code) is `wanted`."""
    from loyalty import ids

    original, pending = ids.random_code, [wanted] if wanted else []

    def pinned(length: int, alphabet: str = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ") -> str:
        return pending.pop() if pending else original(length, alphabet)

    ids.random_code = pinned
    try:
        yield
    finally:
        ids.random_code = original


def seed_fixtures(skip_for: str) -> None:
    """Seed the demo tenant, its example admin key and the fixture steps (handlers' logs go to stderr)."""
    from loyalty.services import tenants

    from tools.local.gateway import Gateway
    from tools.local.seed import DEMO_TENANT, seed_demo

    seed_demo()
    tenants.issue_key(DEMO_TENANT, ["admin"], label="events/ samples", key=EXAMPLE_KEY)
    _seed_client()
    skipped = SKIPPED_FOR.get(skip_for, set())
    headers = {"Authorization": f"Bearer {EXAMPLE_KEY}", "Content-Type": "application/json"}
    with contextlib.redirect_stdout(sys.stderr):
        gateway = Gateway()
        for step in STEPS:
            if step.name in skipped or (step.only_for is not None and skip_for not in step.only_for):
                continue
            body = json.dumps(step.body).encode() if step.body is not None else b""
            with _next_ulid(step.pinned_id), _next_code(step.pinned_code):
                answer = gateway.handle(step.method, f"/Production{step.path}", "", headers, body)
            if answer.status >= 300:
                raise RuntimeError(f"fixture step {step.name!r}: {answer.status} {answer.body}")
            if step.check and gateway.handle("GET", f"/Production{step.check}", "", headers, b"").status != 200:
                raise RuntimeError(f"fixture step {step.name!r} did not make {step.pinned_id}")
    _seed_event(pinned=skip_for == "get_event")
    _seed_delivery()


def _seed_client() -> None:
    """The demo OAuth client whose credentials events/create_token.json sends (§12)."""
    from loyalty.services import oauth

    from tools.local.sample_events import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
    from tools.local.seed import DEMO_TENANT

    oauth.create_client(DEMO_TENANT, ["read"], "events/ samples", DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)


def _seed_event(pinned: bool) -> None:
    """The points.awarded event of the fixture's pending award, as the stream would store it (the embedded
    engine has no stream); for the get_event sample under its id (whose ULID time is not in the list's window)."""
    from loyalty import clock
    from loyalty.repository import ledger, store
    from loyalty.services import event_store, events

    from tools.local.seed import DEMO_TENANT

    entry_key = ledger.key(DEMO_TENANT, TRANSACTION_ID)
    entry = store.get(entry_key)
    if entry is None:
        return
    change = events.Change(entry_key["pk"], entry_key["sk"], None, dict(entry), clock.iso(clock.now()))
    built = events.build(change)
    if pinned:
        built = [events.Built(b.tenant_id, {**b.event, "id": EVENT_ID}, b.member_id, b.owner) for b in built]
    event_store.store_built(built)


def _seed_delivery() -> None:
    """The delivery the webhook delivery samples name: the get_event sample's event to the fixture's endpoint."""
    from loyalty import clock
    from loyalty.repository import deliveries, store
    from loyalty.repository import webhooks as webhooks_db

    from tools.local.seed import DEMO_TENANT

    if store.get(webhooks_db.key(DEMO_TENANT, WEBHOOK_ID)) is None:
        return
    event = {"id": EVENT_ID, "type": "points.awarded", "timestamp": clock.iso(clock.now()), "tenantId": DEMO_TENANT}
    stored = deliveries.item(DEMO_TENANT, WEBHOOK_ID, {**event, "data": {}}, clock.iso(clock.now()))
    assert stored["deliveryId"] == SAMPLES["retry_webhook_delivery"][0]["deliveryId"], stored["deliveryId"]
    deliveries.put_new(stored)


def invoke(function: str, event: dict[str, Any], seed: bool = True) -> Any:
    """Run one handler with one event on the current (fresh) table, seeded with the fixture set unless asked not to."""
    import os

    from loyalty.url_guard import ALLOW_LOCAL_ENV

    from tools.local.gateway import LambdaContext, load_handler

    os.environ.setdefault(ALLOW_LOCAL_ENV, "1")  # runs locally, as `make serve` does: a webhook to 127.0.0.1 is fine
    if seed:
        seed_fixtures(skip_for=function)
    else:
        from tools.local.seed import seed_demo

        seed_demo()
    return load_handler(function)(event, LambdaContext(function, "invoke"))
