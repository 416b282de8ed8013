"""The words of docs/openapi.json that code can't say: each operation's description and 409 codes, the tags."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Words:
    """An operation's description (what it does and its rules, from the contract) and the 409 codes it answers."""

    description: str
    conflicts: tuple[str, ...] = ()


TAGS: dict[str, str] = {
    "platform": "The API's health and the program's settings.",
    "members": "Members: enrolment, profile, erasure and a summary of their points.",
    "points": "The points ledger: awards, deductions and their approval.",
    "activities": "Activities: the earning rules awards go through.",
    "orders": "Orders, which earn through the program's sale activity, and their returns.",
    "rewards": "The reward catalog and reward redemptions paid with points.",
    "promos": "Promo codes: a shared code or a pool of single-use codes members type in to earn an activity's points.",
    "offers": "Merchant offers, their activation by members and offer redemptions on orders.",
    "vouchers": "Vouchers of offers: issue, look up at the point of sale, redeem and cancel.",
    "events": "Events: every state change a merchant reacts to, kept 30 days (made from the table's change stream).",
    "challenges": "Challenges members respond to (a text, a photo, a check-in ...), and the responses that earn "
    "an activity's points once approved.",
    "webhooks": "Webhook endpoints and their deliveries: where events are POSTed, signed per Standard Webhooks, "
    "retried (admin keys only).",
    "oauth": "OAuth 2.0 client credentials (RFC 6749 §4.4): access tokens for integrations, used like API keys.",
    "segments": "Segments of members by rules (tier, qualified points, enrolment time, tags) and explicit "
    "overrides, which offers and rewards aim at with `segmentIds` / `excludedSegmentIds`.",
    "imports": "Bulk imports of members with their balances, or of pool codes: upload a file, follow the run "
    "(admin keys only).",
}

_MEMBER_STATE = "A suspended or erased member can't earn or spend (`409 invalid_state`)."
_PAGED = "Paged: `limit` (1-100, default 25) and the opaque `nextToken` of the previous page."

OPERATIONS: dict[str, Words] = {
    # issue 26: deployed bulk imports (services/import_jobs.py)
    "create_import": Words(
        "Starts a bulk import (§14). `kind` `members` takes a members file (columns `externalId`, `email`, `phone`, "
        "`cardId`, `firstName`, `lastName`, `birthdate`, `tags`, `tierOverride`, `lotId`, `points`, `earnedAt`, "
        "`expiresAt`, `qualifiedPoints`) and no pool; `codes` takes a codes file for exactly one of `rewardId`, "
        "`offerId`, `promoId` (`400` otherwise), a pool that takes codes: an unknown one is `404`, a reward that "
        "is not a coupon, an archived offer or a shared promo code `409 invalid_state`. The answer is "
        "`awaiting_upload` with `uploadUrl`, a presigned URL "
        "to PUT the file to (CSV with a header row, or JSON Lines; no Authorization header) before "
        "`uploadExpiresAt`: the upload starts the run, which splits the file into chunks that keep their line "
        "numbers and imports them in parallel. Rows are written idempotently (an upload of the same file again "
        "changes nothing already imported); follow the run with `GET /imports/{importId}`.",
        ("invalid_state",),
    ),
    "get_import": Words(
        "An import of this tenant (another tenant's or an unknown id is `404`): `status` `awaiting_upload`, "
        "`running`, `completed` or `failed`; `rowsTotal` once the file is split, `rowsDone` (rows handled, "
        "whatever their outcome) and `rowsFailed` (rejected or conflicting rows) as chunks finish. Once completed, "
        "`reportUrl` links (for 1 hour from this answer) to the report, a CSV of the rows not imported: "
        "`line`, `status` (`rejected` or `conflict`), `field`, `reason`, by line."
    ),
    # issue 25: challenges and their responses (services/challenges.py, services/challenge_responses.py)
    "create_challenge": Words(
        "Creates a challenge (`draft` unless `published` is given). `activityId` must name a fixed activity of the "
        "program (`400`): an approved response earns its points. `approvalMethod` (default `manual`) decides, not "
        "the activity's: `immediate` approves each response as it comes. `maxResponsesPerMember` counts a "
        "member's responses (whatever their status) in UTC calendar windows of `maxResponsesPerMemberInterval` "
        "(default `lifetime`). `endDate` is the last moment that takes responses. A `challengeId` in use is "
        "`409 duplicate`.",
        ("duplicate",),
    ),
    "list_challenges": Words(f"The program's challenges by `challengeId`; filter `status`. {_PAGED}"),
    "get_challenge": Words("One challenge."),
    "update_challenge": Words(
        "Changes the given fields; `status` moves forward only, `draft` -> `published` -> `archived`, and an "
        "archived challenge can't change (`409 invalid_state`). The rules of a create apply to the result (`400`).",
        ("invalid_state",),
    ),
    "create_challenge_response": Words(
        "A member responds: `answer` is any JSON object of at most 4,096 bytes as canonical JSON (sorted keys, no "
        "spaces, UTF-8) and at most 8 levels deep (`400`, nothing stored). Checked in this order: the challenge "
        "and the member exist (`404`); the member can earn (suspended or erased: `409 invalid_state`); the "
        "challenge is `published` and inside its dates, `endDate` included (`409 invalid_state`); the member is in "
        "its `segmentIds` and none of its `excludedSegmentIds`, evaluated now (`409 not_eligible`); the member's "
        "responses in the current window are below `maxResponsesPerMember` (`409 frequency_limit_reached`). An "
        "`immediate` challenge approves the response and awards its activity's points (approved, whatever the "
        "activity's own method) in the same transaction, with the activity's checks: inactive "
        "`409 activity_inactive`, its frequency cap `409 frequency_limit_reached`; a refused award stores nothing. "
        "A `manual` challenge's response is `pending` until an admin decides.",
        ("invalid_state", "not_eligible", "frequency_limit_reached", "activity_inactive"),
    ),
    "list_challenge_responses": Words(
        f"A challenge's responses, newest first; filter `status`. An unknown challenge is `404`. {_PAGED}"
    ),
    "list_member_challenge_responses": Words(
        f"A member's challenge responses, newest first; filter `status`. An unknown member is `404`. {_PAGED}"
    ),
    "approve_challenge_response": Words(
        "A pending response becomes `approved` and the challenge's activity awards its points (approved) in the "
        "same transaction, once: of racing approvals one awards. A decided response is `409 invalid_state`, as is "
        "a member who can't earn; the activity's checks apply (`409 activity_inactive`, "
        "`409 frequency_limit_reached`), leaving the response pending.",
        ("invalid_state", "activity_inactive", "frequency_limit_reached"),
    ),
    "reject_challenge_response": Words(
        "A pending response becomes `rejected` with the `reason` given; nothing is awarded. A decided response is "
        "`409 invalid_state` (of an approval and a rejection racing, one wins).",
        ("invalid_state",),
    ),
    "get_status": Words(
        'Answers `{"message": "ok", "version": ...}` (not in the data envelope) once the API key is valid; '
        "any scope may call it."
    ),
    "get_program": Words(
        "The tenant's settings: name, currency, points expiry, pending days for delayed approval, tiers, "
        "the sale, referrer and referee activities."
    ),
    "update_program": Words(
        "Changes the given settings; the others keep their values. Tiers still named by a reward can't be "
        "removed (`409 invalid_state`). `saleActivityId` must name an activity, `referrerActivityId` and "
        "`refereeActivityId` a fixed one (`400`).",
        ("invalid_state",),
    ),
    "create_member": Words(
        "Enrols a member. A member needs at least one identifier of `email`, `externalId`, `phone` or "
        "`cardId`; each is unique in the program (`409 member_exists`; emails compare case-insensitively). "
        "`tags` (at most 50; each trimmed, 1-64 characters, kept lower-case and once) are what segment rules match.",
        ("member_exists",),
    ),
    "list_members": Words(
        "Members, newest first, filtered by `createdFrom`, `createdTo`. By an identifier (`email`, `externalId`, "
        "`phone` with `+` sent as `%2B`, `cardId`): the one member holding it (all of them, if several are given), "
        "found right after the write. By `q` (2-64 characters, no other filter): members whose email, last name, "
        "first name, externalId, phone or cardId starts with `q`, any case, ordered by the matched value then "
        "`memberId`, each once (under the first of those fields it matches); a page may hold fewer than `limit` "
        f"members and still have a `nextToken`. {_PAGED}"
    ),
    "get_member": Words("One member with its balance and tier."),
    "create_referral": Words(
        "Records that the member holding `referralCode` (case-insensitive) referred this member, once: a member "
        "referred already is `409 already_referred`; its own code, or the code of the member it referred, is "
        "`409 self_referral`; after the program's `referralWindowDays` since its enrolment, or for an erased "
        "member, `409 invalid_state`. An unknown code, another program's or an erased member's is `404`. In the "
        "same transaction the referrer earns the program's `referrerActivityId` and the member its "
        "`refereeActivityId` (each when set), with the activity's caps and approval method; an award that a cap, "
        "an inactive activity or a suspended member refuses is skipped and the referral still counts. "
        "`transactionIds` are the awards made (the referrer's first).",
        ("already_referred", "self_referral", "invalid_state"),
    ),
    "list_member_referrals": Words(
        f"The members this member referred, newest first (one Query). An unknown member is `404`. {_PAGED}"
    ),
    "update_member": Words(
        "Changes the given profile fields and `status` (`active` / `suspended`); only an admin key may set "
        "`tierOverride` (`403 forbidden` otherwise). `tags` replaces the member's tags (`[]` clears them); "
        "segments see the change at once. An identifier another member holds is `409 member_exists`; "
        "an erased member can't change (`409 invalid_state`).",
        ("member_exists", "invalid_state"),
    ),
    "erase_member": Words(
        "Erases the member's personal data (name, email, phone, ...) and keeps the ledger, so the program's "
        "totals stay true; its email, externalId, phone and cardId become free and it leaves the search (`q`). "
        "Erasing again answers the erased member."
    ),
    "get_member_summary": Words(
        "The member's balance, tier with `nextTier` and `pointsToNextTier`, the `expirationSchedule` of its "
        "unspent points and its last award."
    ),
    "create_award": Words(
        "Awards points through an activity. A fixed activity awards its points (`points` overrides them); a "
        "multiplier activity multiplies `points`, the base value (required). The activity must be active "
        "(`409 activity_inactive`) and its frequency cap not reached (`409 frequency_limit_reached`); an "
        "`orderId` earns once per activity (`409 duplicate`). Approval `immediate` answers an approved "
        f"transaction, `manual` and `delayed` a pending one. {_MEMBER_STATE}",
        ("activity_inactive", "frequency_limit_reached", "duplicate", "invalid_state"),
    ),
    "create_deduction": Words(
        "Deducts points with a reason. The balance never goes below zero (`409 insufficient_points`). " + _MEMBER_STATE,
        ("insufficient_points", "invalid_state"),
    ),
    "list_member_transactions": Words(
        f"The member's ledger, newest first; filters `from`, `to`, `status`, `type`. {_PAGED}"
    ),
    "list_transactions": Words(f"The program's ledger, newest first; filters `from`, `to`, `status`, `type`. {_PAGED}"),
    "get_transaction": Words("One ledger transaction."),
    "approve_transaction": Words(
        "A pending award becomes approved and its points available; a transaction that is not pending is "
        "`409 invalid_state`.",
        ("invalid_state",),
    ),
    "reject_transaction": Words(
        "A pending award becomes rejected with the reason given and its pending points are removed; a "
        "transaction that is not pending is `409 invalid_state`.",
        ("invalid_state",),
    ),
    "create_activity": Words(
        "Creates an earning rule: fixed or multiplier points, a frequency cap per UTC calendar window or "
        "lifetime, and an approval method. An `activityId` in use is `409 duplicate`.",
        ("duplicate",),
    ),
    "list_activities": Words(f"The program's activities. {_PAGED}"),
    "get_activity": Words("One activity."),
    "update_activity": Words("Changes the given fields of an activity; the others keep their values."),
    "create_order": Words(
        "Records an order once and awards its points through the program's `saleActivityId`: floor(`total` x "
        "multiplier) for a multiplier activity, the fixed amount otherwise. The same order again (same data) "
        "answers the recorded order with `200`; the `orderId` with other data is `409 duplicate`. A program "
        f"without a sale activity can't record orders (`409 invalid_state`). {_MEMBER_STATE}",
        ("duplicate", "invalid_state", "frequency_limit_reached", "activity_inactive"),
    ),
    "get_order": Words("One order with the points it earned and returned."),
    "list_member_orders": Words(f"The member's orders, newest first. {_PAGED}"),
    "create_return": Words(
        "Returns an order in full (no `returnedAmount`) or in part: the points the returned value earned are "
        "taken back, cumulative returns never exceeding the order. Pending points are cancelled first, approved "
        "ones deducted as a `return` transaction; points already spent are reported as `deficitPoints`. An "
        'order returned in full already is `409 invalid_state`. With `"dryRun": true` it is a preview: `200` '
        "with what this return would do (`points`, `cancelledPendingPoints`, `deductedPoints`, `deficitPoints`, "
        "the order as it would be left; `returnId` and `transactionId` null) or the same 4xx a return would get "
        "now, and nothing is written: its Idempotency-Key is neither stored nor replayed.",
        ("invalid_state",),
    ),
    "create_reward": Words(
        "Creates a reward of the catalog, inactive unless `isActive` is true (seed 001); a `rewardId` in use is "
        "`409 duplicate`. `startDate` / `endDate` bound when it may be redeemed (`endDate` after `startDate`); "
        "`maxPerMember` counts in the UTC calendar window `maxPerMemberInterval` names (`day`, `week`, `month`, "
        "`year` or `lifetime`, the default), by the server's clock when the redemption commits. `segmentIds` "
        "(empty: every member) and `excludedSegmentIds` aim it at segments of the program (an unknown id is `400`).",
        ("duplicate",),
    ),
    "list_rewards": Words(f"The reward catalog with stock; filter `isActive`. {_PAGED}"),
    "get_reward": Words("One reward with its stock."),
    "update_reward": Words(
        "Changes the given fields of a reward; the others keep their values. `endDate` must stay after "
        "`startDate`. A new `maxPerMemberInterval` counts from the redemptions made after the change. New "
        "`segmentIds` / `excludedSegmentIds` (segments of the program, else `400`) apply within 30 seconds."
    ),
    "add_reward_codes": Words(
        "Adds up to 1,000 coupon codes to a coupon reward's pool; codes already in the pool are skipped and "
        "counted. A reward that is not a coupon reward has no pool (`409 invalid_state`).",
        ("invalid_state",),
    ),
    "create_redemption": Words(
        "Redeems a reward with points, all or nothing. Checks, in this order (the order of `ineligibleReasons` "
        "in `GET /members/{memberId}/rewards`): the member is active (`409 invalid_state`); the reward is "
        "active, inside its `startDate` / `endDate` and, for a coupon reward, before its `couponExpiry` "
        "(`409 reward_inactive`); the member's tier, then its segments (`409 not_eligible`: outside "
        "`segmentIds` or inside `excludedSegmentIds`, evaluated now); the per-member limit in the current "
        "UTC window of `maxPerMemberInterval` (`409 frequency_limit_reached`); the balance "
        "(`409 insufficient_points`) and the stock (`409 out_of_stock`); then deducts the points, takes one "
        f"coupon code and records the redemption. {_MEMBER_STATE}",
        (
            "reward_inactive",
            "not_eligible",
            "frequency_limit_reached",
            "insufficient_points",
            "out_of_stock",
            "invalid_state",
        ),
    ),
    "list_member_rewards": Words(
        "What the member can redeem: each active reward, by `rewardId`, with `eligible` and `ineligibleReasons` "
        "in the order `POST /members/{memberId}/redemptions` checks them, the first being the refusal that POST "
        "would answer now: `member_inactive` (`409 invalid_state`), `not_started` / `ended` / `coupon_expired` "
        "(`409 reward_inactive`), `tier` and `segment` (`409 not_eligible`), `member_limit_reached` "
        "(`409 frequency_limit_reached`), `insufficient_points`, `out_of_stock` (the stock may be a second "
        "old). `eligible=true` keeps the rewards the member may redeem, so a page may hold fewer than `limit`: "
        f"follow `nextToken`. An unknown member is `404`. {_PAGED}"
    ),
    "list_member_redemptions": Words(
        f"The member's reward redemptions, newest first; filters `status`, `from`, `to`. {_PAGED}"
    ),
    "list_redemptions": Words(
        f"The program's reward redemptions, newest first; filters `status`, `from`, `to`. {_PAGED}"
    ),
    "get_redemption": Words("One reward redemption."),
    "complete_redemption": Words(
        "A pending (manual) redemption is fulfilled: `pending` -> `completed`; any other status is "
        "`409 invalid_state`.",
        ("invalid_state",),
    ),
    "cancel_redemption": Words(
        "Cancels a redemption; with `refund` (the default) its points come back as a `refund` transaction. A "
        "coupon code is not reissued. A cancelled or completed redemption is `409 invalid_state`.",
        ("invalid_state",),
    ),
    "create_offer": Words(
        "Creates an offer (a `draft` unless a status is given). An `offerCode` in use is `409 duplicate`. "
        "`segmentIds` (empty: every member) and `excludedSegmentIds` aim it at segments of the program (an "
        "unknown id is `400`): members outside them don't see it and can't activate or redeem it.",
        ("duplicate",),
    ),
    "list_offers": Words(f"The offer catalog, newest first; filters `status`, `offerCode`. {_PAGED}"),
    "get_offer": Words("One offer with its redemption count."),
    "update_offer": Words(
        "Changes the given fields; `status` moves forward only, `draft` -> `published` -> `archived`, and an "
        "archived offer can't change (`409 invalid_state`). New `segmentIds` / `excludedSegmentIds` apply at once.",
        ("invalid_state",),
    ),
    "list_member_offers": Words(
        "The published, current offers the member may still use and is in the audience of (its segments now), "
        f"each with `activated`, `activatedAt`, `daysRemaining` and `redemptionsLeft`. {_PAGED}",
        ("invalid_state",),
    ),
    "activate_offer": Words(
        "Activates (clips) an offer for a member; repeating it is harmless. Only a published offer that has "
        "not ended can be activated (`409 offer_not_active`), by a member in its segments (`409 not_eligible`).",
        ("offer_not_active", "not_eligible", "invalid_state"),
    ),
    "deactivate_offer": Words(
        "Deactivates (unclips) an offer for a member; repeating it is harmless.",
        ("invalid_state",),
    ),
    "create_offer_redemption": Words(
        "Redeems an offer on an order. `teamId` must be the caller's tenant (`403 forbidden`). Checks: "
        "published and inside its dates at `redeemedAt` (`409 offer_not_active`), the member in its segments "
        "now (`409 not_eligible`; an offer with segments needs `memberId`), `minSpendAmount` "
        "(`409 minimum_spend_not_met`), activation when required (`409 offer_not_activated`), the member's and "
        "the total limits (`409 offer_limit_reached`), the order's items when the offer names some "
        "(`409 invalid_state`). Answers the `rewardAmount`; a points offer awards its points as a ledger "
        "transaction. An offer is redeemed once per (`offerCode`, `orderId`): the same request again answers "
        "the existing redemption with `200`, other data `409 already_redeemed`.",
        (
            "offer_not_active",
            "not_eligible",
            "minimum_spend_not_met",
            "offer_not_activated",
            "offer_limit_reached",
            "already_redeemed",
            "invalid_state",
        ),
    ),
    "list_offer_redemptions": Words(
        f"The program's offer redemptions, newest first; filters `offerCode`, `from`, `to`. {_PAGED}"
    ),
    "get_offer_redemption": Words("One offer redemption."),
    "reverse_offer_redemption": Words(
        "Reverses an offer redemption once: `redeemed` -> `reversed`. The use goes back to the offer's total "
        "limit and to the member's per-member limit in the window it was counted in; a points offer's points "
        "come back out of the ledger as a `return` transaction (`reversalTransactionId`), points the member "
        "already spent reported as `deficitPoints`. The (`offerCode`, `orderId`) pair stays used. Every later "
        "call answers the same reversed redemption with `200`.",
        ("invalid_state",),
    ),
    "list_member_offer_redemptions": Words(
        "The member's offer redemptions between `startDate` and `endDate`, and each offer they reference "
        f'once: `{{"data": {{"redemptions": [...], "offers": [...]}}}}`. {_PAGED}'
    ),
    "issue_voucher": Words(
        "Issues a voucher of a published, running offer (`409 offer_not_active`) to a member or a named "
        "customer; its code comes from the offer's pool when it has one (`409 out_of_stock` when used up), "
        "else it is generated. The offer's per-member and total limits apply (`409 offer_limit_reached`).",
        ("offer_not_active", "out_of_stock", "offer_limit_reached", "invalid_state"),
    ),
    "add_voucher_codes": Words(
        "Preloads up to 1,000 codes into the offer's voucher-code pool; codes already in the pool are skipped "
        "and counted. An archived offer takes no more codes (`409 invalid_state`); a code held by another "
        "offer's pool is `409 duplicate`.",
        ("invalid_state", "duplicate"),
    ),
    "list_offer_vouchers": Words(f"The offer's vouchers; filter `status`. {_PAGED}"),
    "list_member_vouchers": Words(
        "The member's wallet: every voucher issued to the member, across offers, newest first; filter `status` "
        "(`acquired`, `redeemed`, `cancelled`). Vouchers issued to a named customer without a member are not "
        f"listed. An unknown member is `404`. {_PAGED}"
    ),
    "get_offer_voucher": Words("One voucher of the offer."),
    "get_voucher": Words(
        "Looks a voucher up by its id or its redemption code (case-insensitive): the point-of-sale case."
    ),
    "redeem_voucher": Words(
        "Redeems a voucher once: `acquired` -> `redeemed`. Before its `activationDate` `409 voucher_not_active`, "
        "after its `expirationDate` `409 voucher_expired`, twice `409 already_redeemed`, cancelled "
        "`409 voucher_cancelled`.",
        ("voucher_not_active", "voucher_expired", "already_redeemed", "voucher_cancelled"),
    ),
    "cancel_voucher": Words(
        "Cancels an acquired voucher: `acquired` -> `cancelled`. A redeemed voucher can't be cancelled "
        "(`409 already_redeemed`); a cancelled one is `409 voucher_cancelled`.",
        ("already_redeemed", "voucher_cancelled"),
    ),
    # 11. Reward grants and promo codes (services/reward_grants.py, promo_codes.py, promo_code_uses.py)
    "create_reward_grant": Words(
        "Gives the member a reward without points (service recovery): a redemption with `points: 0`, no "
        "ledger transaction (`transactionId: null`), `grantedBy` (the calling API key's id, or OAuth client id) "
        "and `reason`. A coupon reward's code is taken from its pool in the same transaction (`409 "
        "out_of_stock` when it is empty; stock as for redemptions). The reward must be redeemable now: active, "
        "inside its dates, its coupons not expired (`409 reward_inactive`); tiers, segments, `maxPerMember` "
        "and the balance do not apply, and a grant does not count toward `maxPerMember`. A grant appears in "
        "the redemption lists and is completed or cancelled as any redemption (a cancel refunds nothing). "
        + _MEMBER_STATE,
        ("reward_inactive", "out_of_stock", "invalid_state"),
    ),
    "create_promo_code": Words(
        "Creates a promotion (`status: active`). `singleUse: false` (default): `code` is the one shared code "
        "members type. `singleUse: true`: `code` is a name only, and members type codes of its pool (`POST "
        "/promo-codes/{code}/codes`). Codes are case-insensitive (stored upper-case) and one namespace per "
        "program: a code already a promotion's or in a pool is `409 duplicate`. `activityId` must name a "
        "fixed-points activity (`400`). `maxUsesPerMember` defaults to 1 (`null`: no limit); `maxUsesTotal` "
        "`null`: no limit. Limits are fixed once created; `endDate` must be after `startDate`.",
        ("duplicate",),
    ),
    "list_promo_codes": Words(
        f"The program's promotions by code, with `usesTotal` and pool counts; filter `status`. {_PAGED}"
    ),
    "get_promo_code": Words(
        "One promotion (by its code, any case) with `usesTotal` and, for `singleUse`, its pool's counts."
    ),
    "update_promo_code": Words(
        "Changes `status` (`disabled`: every use is refused with `409 invalid_state`, e.g. a leaked code; "
        "`active` again), `startDate` and `endDate` (`endDate` after `startDate`). The limits can't change."
    ),
    "add_promo_codes": Words(
        "Adds up to 1,000 codes to a `singleUse` promotion's pool (upper-cased); a code in the pool, used, or "
        "known to any promotion (a shared code, another pool) is skipped and counted. A shared promotion has "
        "no pool (`409 invalid_state`).",
        ("invalid_state",),
    ),
    "use_promo_code": Words(
        "The member types `code` (the shared code or a pool code; any case): awards the promotion's activity's "
        "points through the activity's rules (approval method, expiry, award cap: `409 activity_inactive` / "
        "`frequency_limit_reached`), in one transaction with the use's counters. Checks, in order: the code "
        "is known (`404`; a single-use promotion's name is not a code), the member is active (`409 "
        "invalid_state`), the promotion is active and inside its dates (`409 invalid_state`), a pool code is "
        "unused (`409 already_redeemed`), the member's and the total uses (`409 limit_reached`). Answers "
        "`{promoCode, code, memberId, transactionId, points}`; the points events are the use's events.",
        ("invalid_state", "already_redeemed", "limit_reached", "activity_inactive", "frequency_limit_reached"),
    ),
    # 13. Events
    "list_events": Words(
        "The program's events of the last 30 days (an earlier `from` reads from 30 days ago), newest first; "
        "filters `type`, `from`, `to`. Events are made from the table's change stream within seconds of the "
        "change; an erased member's personal data is nulled in its events. " + _PAGED
    ),
    "get_event": Words("One event of the last 30 days; an older one, or an unknown id, is `404`."),
    # 13. Webhook endpoints
    "create_webhook": Words(
        'Registers an endpoint for the given event types (`["*"]`: every type, also those added later). The '
        "answer holds the endpoint's `secret`: `whsec_` and the standard base64 of 32 random bytes, the key of "
        "the `webhook-signature` HMAC (Standard Webhooks). The `url` must be `https` and resolve only to public "
        "addresses (no private, loopback, link-local or metadata address, no numeric host spellings, no "
        "user:password@; locally http://127.0.0.1 and localhost are allowed), else `400` and nothing is stored; "
        "an unknown event type or an empty list is `400` too. At most 20 endpoints per program: the 21st is "
        "`409 limit_reached` (delete one first).",
        ("limit_reached",),
    ),
    "list_webhooks": Words("The program's endpoints (at most 20), newest first, with their secrets. " + _PAGED),
    "get_webhook": Words(
        "One endpoint with its secret, `enabled`, and why it is disabled (`paused` by PATCH, `failing` after "
        "5 days of failed deliveries, `gone` after a `410`)."
    ),
    "update_webhook": Words(
        "Changes the given fields: `url` (checked as on create), `events`, `description`, `enabled`. "
        "`enabled: false` pauses the endpoint (nothing is sent to it); `enabled: true` enables a paused or "
        "disabled one again and clears `disabledReason` and `failingSince`."
    ),
    "delete_webhook": Words(
        "Deletes the endpoint (`204`, no body): nothing more is sent to it, and its slot of the 20 is free."
    ),
    "rotate_webhook_secret": Words(
        "Makes a new secret and answers the endpoint with it. The previous secret keeps signing beside the new "
        "one for 24 hours (`previousSecretExpiresAt`): deliveries carry both signatures, space-separated, so "
        "receivers can switch without losing a delivery. A second rotation within the 24 hours ends the first "
        "secret's overlap at once."
    ),
    # 13. Webhook deliveries
    "list_webhook_deliveries": Words(
        "The endpoint's deliveries, newest first: one per event and endpoint (`deliveryId`), the event's id "
        "(sent as `webhook-id` on every attempt), `status` (`pending` until a 2xx or the schedule is spent), "
        "`attempts`, `lastStatusCode`, `nextAttemptAt` and each attempt's outcome (`attemptLog`). An unknown "
        "or deleted endpoint is `404`. " + _PAGED
    ),
    "retry_webhook_delivery": Words(
        "Sends the delivery again now with the same event id (`webhook-id`), signed afresh, whatever its status; "
        "the retry schedule starts over. Answers `200` with the delivery as it is now (`pending`). A delivery of "
        "another endpoint or tenant, or an unknown endpoint, is `404`; a disabled endpoint (paused, gone or "
        "failing) is `409 invalid_state` (enable it first); an attempt of the delivery running at that moment is "
        "`409 request_in_progress` (try again).",
        ("invalid_state", "request_in_progress"),
    ),
    # 12. OAuth client credentials (the one public route; tools/openapi.py describes it on its own)
    "create_token": Words(
        "Exchanges a client's credentials for an access token (RFC 6749 §4.4). No API key: the client "
        "authenticates with HTTP Basic (`client_id:client_secret`, each form-encoded) or with `client_id` and "
        "`client_secret` in the body, which is `application/x-www-form-urlencoded` or JSON (this route takes no "
        "other `Content-Type` and never answers 415). `grant_type` is `client_credentials`; `scope` (optional) is "
        "a space-separated subset of the client's scopes (default: all of them). The answer is bare, with "
        "`Cache-Control: no-store`: the token is one base64url string of at most 512 characters, valid for "
        "`expires_in` seconds (1 hour) wherever an API key is, with the client's tenant and the granted scopes. "
        "Errors are RFC 6749 §5.2, bare: `invalid_request`, `unsupported_grant_type`, `invalid_scope` (400) and "
        "`invalid_client` (401, with `WWW-Authenticate: Basic`) — one answer for an unknown "
        "client, a wrong secret and a revoked client. Unrecognised parameters are ignored (RFC 6749 §3.2). "
        "Throttled per route (429). Not idempotent (each call issues a new token) and takes no `Idempotency-Key`."
    ),
    # 11. Segments and targeting
    "create_segment": Words(
        "Creates a segment: members for whom every rule given holds, evaluated at the moment of each use from the "
        "member's current state: `tierIds` (the current tier is any of them), `minQualified` / `maxQualified` "
        "(`balance.qualified`, inclusive), `createdFrom` / `createdTo` (enrolment time, inclusive), `tags` (the "
        "member carries all of them). No rules: every member. An unknown rule field, `minQualified` above "
        "`maxQualified`, `createdFrom` after `createdTo` or a tier the program lacks is `400`. A `segmentId` in use "
        "is `409 duplicate`; a program has at most 100 segments (`409 limit_reached`).",
        ("duplicate", "limit_reached"),
    ),
    "list_segments": Words(f"The program's segments (at most 100), by `segmentId`. {_PAGED}"),
    "get_segment": Words("One segment with its rules."),
    "update_segment": Words(
        "Changes the `name`, or replaces the whole `rules` (checked as on create); the next check of any member "
        "uses the new rules at once."
    ),
    "put_segment_override": Words(
        'Sets the member\'s explicit override in the segment: `{"type": "include"}` puts the member in whatever '
        'the rules say, `{"type": "exclude"}` keeps it out (replacing any override it had; the same again is '
        "harmless). An unknown segment or member is `404`; an erased member takes no part (`409 invalid_state`).",
        ("invalid_state",),
    ),
    "delete_segment_override": Words(
        "Removes the member's override in the segment, so its rules decide again (`204`, no body; also when "
        "there was none; also for an erased member). An unknown segment or member is `404`."
    ),
    "list_member_segments": Words(
        "The segments the member is in now, by `segmentId`, each with `matchedBy` (`rules` or `include`): an "
        "`exclude` override wins over the rules, an `include` over the rules. A page may hold fewer than "
        "`limit`: follow `nextToken`. An erased member is in none. An unknown member is `404`. " + _PAGED
    ),
}
