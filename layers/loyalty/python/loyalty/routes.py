"""The route table: the single source of truth for API Gateway, the local API, OpenAPI and route-wide tests."""

from __future__ import annotations

import re
from dataclasses import dataclass

ADMIN = frozenset({"admin"})
INTEGRATION = frozenset({"admin", "integration"})
ANY = frozenset({"admin", "integration", "read"})
SCOPES = ("admin", "integration", "read")
# The API Gateway stage every route is served under, deployed and local (`/Production/...`).
STAGE = "Production"


@dataclass(frozen=True)
class Route:
    """One operation: its HTTP method and path, the function that serves it and who may call it."""

    method: str
    path: str
    function: str
    scopes: frozenset[str]
    writes: bool
    summary: str
    tag: str
    # No Bearer: the gateway puts no authorizer (nor usage-plan key) on it and the route-wide auth tests skip it.
    # The one such route is POST /oauth/token (§12), which takes form, JSON or Basic and is exempt from 415.
    public: bool = False

    @property
    def module(self) -> str:
        """The Python module of the function's handler (functions/<function>/app.py)."""
        return f"functions.{self.function}.app"

    @property
    def arn_path(self) -> str:
        """The path as it appears in an execute-api ARN, path parameters as wildcards."""
        return re.sub(r"\{[^}]+\}", "*", self.path)

    def match(self, path: str) -> dict[str, str] | None:
        """The path parameters if the concrete path fits this route's template."""
        pattern = "^" + re.sub(r"\\\{([^}]+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path)) + "$"
        found = re.fullmatch(pattern, path)
        return found.groupdict() if found else None


def _r(method: str, path: str, function: str, scopes: frozenset[str], summary: str, tag: str) -> Route:
    return Route(method, path, function, scopes, method != "GET", summary, tag)


ROUTES: tuple[Route, ...] = (
    # 2. Platform
    _r("GET", "/status", "get_status", ANY, "Check that the API answers and the key is valid", "platform"),
    _r("GET", "/program", "get_program", ANY, "Read the program settings", "platform"),
    _r("PATCH", "/program", "update_program", ADMIN, "Update the program settings", "platform"),
    # 3. Members
    _r("POST", "/members", "create_member", INTEGRATION, "Enrol a member", "members"),
    _r("GET", "/members", "list_members", ANY, "List members, newest first", "members"),
    _r("GET", "/members/{memberId}", "get_member", ANY, "Read one member with balance and tier", "members"),
    _r("PATCH", "/members/{memberId}", "update_member", INTEGRATION, "Update a member", "members"),
    _r("DELETE", "/members/{memberId}", "erase_member", ADMIN, "Erase a member's personal data", "members"),
    _r(
        "GET",
        "/members/{memberId}/summary",
        "get_member_summary",
        ANY,
        "Balance, tier progress, expiration schedule and last award",
        "members",
    ),
    # 10. Referrals
    _r(
        "POST",
        "/members/{memberId}/referral",
        "create_referral",
        INTEGRATION,
        "Record who referred the member (a referral code), with the referral awards",
        "members",
    ),
    _r(
        "GET",
        "/members/{memberId}/referrals",
        "list_member_referrals",
        ANY,
        "The members this member referred, newest first",
        "members",
    ),
    # 4. Points ledger
    _r("POST", "/members/{memberId}/awards", "create_award", INTEGRATION, "Award points for an activity", "points"),
    _r("POST", "/members/{memberId}/deductions", "create_deduction", INTEGRATION, "Deduct points", "points"),
    _r(
        "GET",
        "/members/{memberId}/transactions",
        "list_member_transactions",
        ANY,
        "A member's ledger, newest first",
        "points",
    ),
    _r("GET", "/transactions", "list_transactions", ANY, "The program's ledger, newest first", "points"),
    _r("GET", "/transactions/{transactionId}", "get_transaction", ANY, "Read one ledger transaction", "points"),
    _r(
        "POST",
        "/transactions/{transactionId}/approve",
        "approve_transaction",
        ADMIN,
        "Approve a pending award",
        "points",
    ),
    _r("POST", "/transactions/{transactionId}/reject", "reject_transaction", ADMIN, "Reject a pending award", "points"),
    # 5. Activities
    _r("POST", "/activities", "create_activity", ADMIN, "Create an activity (earning rule)", "activities"),
    _r("GET", "/activities", "list_activities", ANY, "List activities", "activities"),
    _r("GET", "/activities/{activityId}", "get_activity", ANY, "Read one activity", "activities"),
    _r("PATCH", "/activities/{activityId}", "update_activity", ADMIN, "Update an activity", "activities"),
    # 6. Orders and returns
    _r("POST", "/orders", "create_order", INTEGRATION, "Record an order; it earns through the sale activity", "orders"),
    _r("GET", "/orders/{orderId}", "get_order", ANY, "Read one order", "orders"),
    _r("GET", "/members/{memberId}/orders", "list_member_orders", ANY, "A member's orders, newest first", "orders"),
    _r(
        "POST",
        "/orders/{orderId}/returns",
        "create_return",
        INTEGRATION,
        "Return an order in full or in part; its points are taken back",
        "orders",
    ),
    # 7. Rewards and reward redemptions
    _r("POST", "/rewards", "create_reward", ADMIN, "Create a reward", "rewards"),
    _r("GET", "/rewards", "list_rewards", ANY, "The reward catalog with stock", "rewards"),
    _r("GET", "/rewards/{rewardId}", "get_reward", ANY, "Read one reward with its stock", "rewards"),
    _r("PATCH", "/rewards/{rewardId}", "update_reward", ADMIN, "Update a reward", "rewards"),
    _r("POST", "/rewards/{rewardId}/codes", "add_reward_codes", ADMIN, "Add coupon codes to the pool", "rewards"),
    _r(
        "POST",
        "/members/{memberId}/redemptions",
        "create_redemption",
        INTEGRATION,
        "Redeem a reward: points, code and record in one transaction",
        "rewards",
    ),
    _r(
        "GET",
        "/members/{memberId}/redemptions",
        "list_member_redemptions",
        ANY,
        "A member's redemptions, newest first",
        "rewards",
    ),
    _r(
        "GET",
        "/members/{memberId}/rewards",
        "list_member_rewards",
        ANY,
        "What a member can redeem: each active reward with eligible and ineligibleReasons",
        "rewards",
    ),
    _r("GET", "/redemptions", "list_redemptions", ANY, "The program's redemptions, newest first", "rewards"),
    _r("GET", "/redemptions/{redemptionId}", "get_redemption", ANY, "Read one redemption", "rewards"),
    _r(
        "POST",
        "/redemptions/{redemptionId}/complete",
        "complete_redemption",
        ADMIN,
        "A manual reward was fulfilled",
        "rewards",
    ),
    _r(
        "POST",
        "/redemptions/{redemptionId}/cancel",
        "cancel_redemption",
        ADMIN,
        "Cancel a redemption, refunding its points",
        "rewards",
    ),
    # 8. Offers, activation and offer redemptions
    _r("POST", "/offers", "create_offer", ADMIN, "Create an offer", "offers"),
    _r("GET", "/offers", "list_offers", ANY, "The offer catalog, newest first", "offers"),
    _r("GET", "/offers/{offerId}", "get_offer", ANY, "Read one offer with its redemption count", "offers"),
    _r("PATCH", "/offers/{offerId}", "update_offer", ADMIN, "Update an offer; status moves forward only", "offers"),
    _r(
        "GET",
        "/members/{memberId}/offers",
        "list_member_offers",
        ANY,
        "Published, current offers the member may still use",
        "offers",
    ),
    _r(
        "POST",
        "/members/{memberId}/offers/{offerId}/activation",
        "activate_offer",
        INTEGRATION,
        "Activate (clip) an offer for a member",
        "offers",
    ),
    _r(
        "DELETE",
        "/members/{memberId}/offers/{offerId}/activation",
        "deactivate_offer",
        INTEGRATION,
        "Deactivate (unclip) an offer for a member",
        "offers",
    ),
    _r(
        "POST",
        "/offer-redemptions",
        "create_offer_redemption",
        INTEGRATION,
        "Redeem an offer on an order",
        "offers",
    ),
    _r(
        "GET",
        "/offer-redemptions",
        "list_offer_redemptions",
        ANY,
        "The program's offer redemptions, newest first",
        "offers",
    ),
    _r("GET", "/offer-redemptions/{id}", "get_offer_redemption", ANY, "Read one offer redemption", "offers"),
    # 10. Reversing an offer redemption (issue 23 item 5)
    _r(
        "POST",
        "/offer-redemptions/{id}/reverse",
        "reverse_offer_redemption",
        INTEGRATION,
        "Reverse an offer redemption: its use and points given back, once",
        "offers",
    ),
    _r(
        "GET",
        "/members/{memberId}/offer-redemptions",
        "list_member_offer_redemptions",
        ANY,
        "A member's offer redemptions with the offers they reference",
        "offers",
    ),
    # 9. Vouchers
    _r("POST", "/offers/{offerId}/vouchers", "issue_voucher", INTEGRATION, "Issue a voucher of an offer", "vouchers"),
    _r(
        "POST",
        "/offers/{offerId}/voucher-codes",
        "add_voucher_codes",
        ADMIN,
        "Preload codes into the offer's voucher-code pool",
        "vouchers",
    ),
    _r("GET", "/offers/{offerId}/vouchers", "list_offer_vouchers", ANY, "An offer's vouchers by status", "vouchers"),
    _r(
        "GET",
        "/members/{memberId}/vouchers",
        "list_member_vouchers",
        ANY,
        "A member's wallet: the vouchers issued to the member, newest first",
        "vouchers",
    ),
    _r(
        "GET",
        "/offers/{offerId}/vouchers/{voucherId}",
        "get_offer_voucher",
        ANY,
        "Read one voucher of an offer",
        "vouchers",
    ),
    _r("GET", "/vouchers/{voucherIdOrCode}", "get_voucher", ANY, "Look a voucher up by id or code", "vouchers"),
    _r(
        "POST",
        "/vouchers/{voucherIdOrCode}/redeem",
        "redeem_voucher",
        INTEGRATION,
        "Redeem a voucher once",
        "vouchers",
    ),
    _r(
        "POST",
        "/vouchers/{voucherIdOrCode}/cancel",
        "cancel_voucher",
        INTEGRATION,
        "Cancel a voucher that is not redeemed",
        "vouchers",
    ),
    # 11. Challenges and their responses (services/challenges.py, services/challenge_responses.py)
    _r("POST", "/challenges", "create_challenge", ADMIN, "Create a challenge", "challenges"),
    _r("GET", "/challenges", "list_challenges", ANY, "The challenge catalog", "challenges"),
    _r("GET", "/challenges/{challengeId}", "get_challenge", ANY, "Read one challenge", "challenges"),
    _r(
        "PATCH",
        "/challenges/{challengeId}",
        "update_challenge",
        ADMIN,
        "Update a challenge; status moves forward only",
        "challenges",
    ),
    _r(
        "POST",
        "/challenges/{challengeId}/responses",
        "create_challenge_response",
        INTEGRATION,
        "A member responds to a challenge; an immediate challenge awards its activity at once",
        "challenges",
    ),
    _r(
        "GET",
        "/challenges/{challengeId}/responses",
        "list_challenge_responses",
        ANY,
        "A challenge's responses, newest first",
        "challenges",
    ),
    _r(
        "GET",
        "/members/{memberId}/challenge-responses",
        "list_member_challenge_responses",
        ANY,
        "A member's challenge responses, newest first",
        "challenges",
    ),
    _r(
        "POST",
        "/challenge-responses/{responseId}/approve",
        "approve_challenge_response",
        ADMIN,
        "Approve a pending response: its points are awarded in the same transaction",
        "challenges",
    ),
    _r(
        "POST",
        "/challenge-responses/{responseId}/reject",
        "reject_challenge_response",
        ADMIN,
        "Reject a pending response, with a reason",
        "challenges",
    ),
    # 11. Reward grants and promo codes (services/reward_grants.py, promo_codes.py, promo_code_uses.py)
    _r(
        "POST",
        "/members/{memberId}/reward-grants",
        "create_reward_grant",
        ADMIN,
        "Give a member a reward without points (service recovery)",
        "rewards",
    ),
    _r("POST", "/promo-codes", "create_promo_code", ADMIN, "Create a promotion: a shared code or a pool", "promos"),
    _r("GET", "/promo-codes", "list_promo_codes", ANY, "The program's promotions by code", "promos"),
    _r("GET", "/promo-codes/{code}", "get_promo_code", ANY, "Read one promotion with its uses and pool", "promos"),
    _r(
        "PATCH",
        "/promo-codes/{code}",
        "update_promo_code",
        ADMIN,
        "Disable or enable a promotion, or move its dates",
        "promos",
    ),
    _r(
        "POST",
        "/promo-codes/{code}/codes",
        "add_promo_codes",
        ADMIN,
        "Add codes to a single-use promotion's pool",
        "promos",
    ),
    _r(
        "POST",
        "/members/{memberId}/promo-codes",
        "use_promo_code",
        INTEGRATION,
        "A member types a promo code: the activity's points, once within the limits",
        "promos",
    ),
    # 13. Events (made from the table's change stream, services/events.py)
    _r("GET", "/events", "list_events", ANY, "The program's events of the last 30 days, newest first", "events"),
    _r("GET", "/events/{eventId}", "get_event", ANY, "Read one event", "events"),
    # 13. Webhook endpoints (services/webhooks.py)
    _r("POST", "/webhooks", "create_webhook", ADMIN, "Register a webhook endpoint, with its secret", "webhooks"),
    _r("GET", "/webhooks", "list_webhooks", ADMIN, "The program's webhook endpoints, newest first", "webhooks"),
    _r("GET", "/webhooks/{webhookId}", "get_webhook", ADMIN, "Read one webhook endpoint with its secret", "webhooks"),
    _r("PATCH", "/webhooks/{webhookId}", "update_webhook", ADMIN, "Change, pause or enable an endpoint", "webhooks"),
    _r("DELETE", "/webhooks/{webhookId}", "delete_webhook", ADMIN, "Delete a webhook endpoint", "webhooks"),
    _r(
        "POST",
        "/webhooks/{webhookId}/rotate-secret",
        "rotate_webhook_secret",
        ADMIN,
        "A new secret; the old one signs beside it for 24 hours",
        "webhooks",
    ),
    # 13. Webhook deliveries (services/webhook_delivery.py)
    _r(
        "GET",
        "/webhooks/{webhookId}/deliveries",
        "list_webhook_deliveries",
        ADMIN,
        "An endpoint's deliveries with each attempt's outcome, newest first",
        "webhooks",
    ),
    _r(
        "POST",
        "/webhooks/{webhookId}/deliveries/{deliveryId}/retry",
        "retry_webhook_delivery",
        ADMIN,
        "Send a delivery again now (the same event id)",
        "webhooks",
    ),
    # 12. OAuth client credentials (services/oauth.py): the one public route
    Route(
        "POST",
        "/oauth/token",
        "create_token",
        frozenset(),
        True,
        "Exchange client credentials for an access token (RFC 6749 §4.4)",
        "oauth",
        public=True,
    ),
    # 11. Segments and targeting (services/segments.py, services/targeting.py)
    _r("POST", "/segments", "create_segment", ADMIN, "Create a segment of members by rules", "segments"),
    _r("GET", "/segments", "list_segments", ANY, "The program's segments, by segmentId", "segments"),
    _r("GET", "/segments/{segmentId}", "get_segment", ANY, "Read one segment", "segments"),
    _r("PATCH", "/segments/{segmentId}", "update_segment", ADMIN, "Rename a segment or replace its rules", "segments"),
    _r(
        "PUT",
        "/segments/{segmentId}/members/{memberId}",
        "put_segment_override",
        ADMIN,
        "Include or exclude one member explicitly, whatever the rules",
        "segments",
    ),
    _r(
        "DELETE",
        "/segments/{segmentId}/members/{memberId}",
        "delete_segment_override",
        ADMIN,
        "Remove a member's explicit override (the rules decide again)",
        "segments",
    ),
    _r(
        "GET",
        "/members/{memberId}/segments",
        "list_member_segments",
        ANY,
        "The segments the member is in now",
        "segments",
    ),
    # 14. Bulk import, deployed (services/import_jobs.py): the upload starts the workflow
    _r(
        "POST",
        "/imports",
        "create_import",
        ADMIN,
        "Start a bulk import: a presigned URL to upload the file to",
        "imports",
    ),
    _r("GET", "/imports/{importId}", "get_import", ADMIN, "An import's status, row counts and report link", "imports"),
)
# The routes a Bearer must be sent to (every route but the public one): what the auth rules and tests range over.
PROTECTED: tuple[Route, ...] = tuple(route for route in ROUTES if not route.public)


@dataclass(frozen=True)
class Job:
    """A scheduled function (EventBridge rule → Lambda), also runnable by hand through the CLI."""

    name: str
    function: str
    schedule_minutes: int
    summary: str
    publishes: bool = False  # puts events on the stack's event bus (EVENT_BUS_NAME, events:PutEvents)

    @property
    def module(self) -> str:
        return f"functions.{self.function}.app"


JOBS: tuple[Job, ...] = (
    Job("expire-points", "expire_points", 60, "Expire the unspent points of lots past their last day"),
    Job("approve-delayed", "approve_delayed", 15, "Approve delayed awards whose autoApprovalDate has come"),
    Job(
        "notify-expiring",
        "notify_expiring",
        24 * 60,
        "Send points.expiring_soon for lots expiring within the program's expiryNoticeDays",
        publishes=True,
    ),
)

AUTHORIZER_FUNCTION = "authorizer"
# The consumer of the table's change stream: builds and stores the events (§13), puts them on the event bus.
STREAM_FUNCTION = "build_events"
# The webhook delivery queue's consumer (SQS WebhookDeliveries, WEBHOOK_QUEUE_URL): one attempt per message (§13).
DELIVERY_FUNCTION = "deliver_webhooks"
# Route functions that queue a webhook delivery's attempt (deployed: sqs:SendMessage on that queue, its URL).
QUEUES_DELIVERIES = frozenset({"retry_webhook_delivery"})
# The bulk import workflow's steps (§14, infra/constructs/imports.py): split the upload, import a chunk, finish.
IMPORT_FUNCTIONS = ("split_import", "import_chunk", "finish_import")
# Route functions that sign URLs of the import bucket (deployed: IMPORT_BUCKET, s3 rights on their prefix only).
SIGNS_UPLOADS = frozenset({"create_import"})
SIGNS_REPORTS = frozenset({"get_import"})


def find(method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
    """The route for a request, its path parameters, and whether the path exists for another method."""
    path_known = False
    for route in ROUTES:
        params = route.match(path)
        if params is None:
            continue
        if route.method == method:
            return route, params, True
        path_known = True
    return None, {}, path_known


def scope_description(scope: str) -> str:
    """What a key of this scope may call, read off the route table (the CLI's help and docs/guide.md say this)."""
    allowed = [route for route in PROTECTED if scope in route.scopes]
    if len(allowed) == len(PROTECTED):
        return "every route"
    reads = [route for route in PROTECTED if route.method == "GET"]
    refused = [f"GET {route.path}" for route in reads if scope not in route.scopes]
    if not refused:
        said = ["every GET route"]
    elif len(refused) * 4 <= len(reads):  # a few admin-only reads (the webhooks' secrets): named as exceptions
        said = ["every GET route but " + " and ".join(refused)]
    else:
        said = [f"GET {route.path}" for route in reads if scope in route.scopes]
    writes: dict[str, list[str]] = {}
    for route in allowed:
        if route.method != "GET":
            writes.setdefault(route.tag, []).append(route.function.replace("_", " "))
    if not writes:
        return ", ".join(said) + ", nothing else"
    return ", ".join(said) + ", and " + ", ".join(f"{tag} ({', '.join(names)})" for tag, names in writes.items())
