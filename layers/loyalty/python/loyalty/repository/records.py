"""The stored records of the core entities, as the repository reads and writes them (types only: plain dicts).

One TypedDict per entity, naming the attributes as they are stored (a record in a table today must still read).
`NotRequired` marks an attribute that records written by some path, or by earlier versions, may lack; a
`| None` one is always written, possibly as null. A read item also carries its key and index attributes
(`pk`, `sk`, `gsi…`), which no record names: `store.plain` drops them. Money is a decimal string, points and
counts are ints, times are ISO-8601 UTC strings and days YYYY-MM-DD. See docs/architecture.md ("Records").
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


class BalanceRecord(TypedDict):
    available: int
    pending: int
    redeemed: int
    expired: int
    lifetime: int
    qualified: int


class MemberRecord(TypedDict):
    """`T#<t>#M#<memberId>` / MEMBER. The email and profile attributes are written at creation (null when not
    given), nulled by an erasure and read with .get(); `lotTotal - consumed = available` (services.book)."""

    memberId: str
    email: NotRequired[str | None]
    externalId: NotRequired[str | None]
    firstName: NotRequired[str | None]
    lastName: NotRequired[str | None]
    gender: NotRequired[str | None]
    birthdate: NotRequired[str | None]
    phone: NotRequired[str | None]
    cardId: NotRequired[str | None]
    profileImageUrl: NotRequired[str | None]
    status: str
    tierOverride: str | None
    balance: BalanceRecord
    referralCode: str
    referredBy: NotRequired[dict[str, str] | None]  # {memberId, at}: who referred the member (services.referrals)
    referralCount: NotRequired[int]  # how many members it referred (its REFERRAL# entries)
    createdAt: str
    updatedAt: str
    erasedAt: NotRequired[str | None]
    version: int
    lotTotal: int
    consumed: int
    lastLotExpiry: NotRequired[str | None]
    lastAward: NotRequired[dict[str, Any]]  # {date, points, activityName} of the latest award (the summary)
    tags: NotRequired[list[str]]  # segment rules match them (models.segments.Tags: lower-case, each once)
    # a member created by a member import (services/imports.py): the import, the import row that last wrote it
    # (events skip such writes), and the lifetime qualified points it carried over (the checker counts them)
    importedBy: NotRequired[str]
    importWrite: NotRequired[str]
    importedQualified: NotRequired[int]


class LotRecord(TypedDict):
    """`T#<t>#M#<memberId>` / `MEMBER#LOT#<expiresOn>`: the points [cumStart, cumEnd) of the member's ledger
    that expire after `expiresOn`."""

    memberId: str
    expiresOn: str
    cumStart: int
    cumEnd: int


class TransactionRecord(TypedDict):
    """`T#<t>#TX#<transactionId>` / TX: a ledger entry. Every field of the Transaction shape is written (null
    where it does not apply); the counters are 0 until an order return moves them."""

    transactionId: str
    memberId: str
    type: str
    points: int
    status: str
    activityId: str | None
    activityName: str | None
    orderId: str | None
    rewardId: str | None
    redemptionId: str | None
    reason: str | None
    createdAt: str
    approvedAt: str | None
    autoApprovalDate: str | None
    expiresAt: str | None
    cancelledPoints: int
    returnedPoints: int
    deficitPoints: int
    balanceAfter: dict[str, int]
    qualified: NotRequired[bool]
    offerId: NotRequired[str]  # an offer's points award: the offer and its redemption
    offerRedemptionId: NotRequired[str]
    promoCode: NotRequired[str]  # a promo code's use (services.promo_code_uses): the promotion and the code typed
    promoCodeUsed: NotRequired[str]
    # an import's entry (services/imports.py): the import, the row's lot and when its points were earned
    importId: NotRequired[str]
    lotId: NotRequired[str]
    earnedAt: NotRequired[str]


class RewardRecord(TypedDict):
    """`T#<t>#RWD#<rewardId>` / REWARD; its stock lives in counter items (repository.rewards)."""

    rewardId: str
    name: str
    description: str | None
    pointsCost: int
    value: str | None
    currency: str
    isActive: bool
    termsText: str | None
    instructions: str | None
    couponExpiry: str | None
    tierIds: list[str]
    maxPerMember: int | None
    maxPerMemberInterval: NotRequired[str]  # day / week / month / year / lifetime (older rewards: lifetime)
    startDate: NotRequired[str | None]
    endDate: NotRequired[str | None]
    fulfillment: str
    createdAt: str
    updatedAt: str
    version: int
    poolShards: NotRequired[int]  # the pool's shard count, fixed at creation (older rewards: the default)


class RedemptionRecord(TypedDict):
    """`T#<t>#RDM#<redemptionId>` / REDEMPTION: a reward redeemed with points."""

    redemptionId: str
    memberId: str
    rewardId: str
    rewardName: str
    points: int
    value: str | None
    currency: str
    couponCode: str | None
    couponExpiry: str | None
    status: str
    transactionId: str | None  # None: a reward grant (points 0, services.reward_grants)
    refundTransactionId: str | None
    cancelReason: str | None
    createdAt: str
    updatedAt: str
    # a reward grant (services.reward_grants): who granted it and why; absent on a redemption paid with points
    grantedBy: NotRequired[str]
    reason: NotRequired[str]
    # the UTC window of maxPerMember the redemption was counted in (services.redemptions), when the reward had one
    limitInterval: NotRequired[str]
    limitWindow: NotRequired[str]


class OfferRecord(TypedDict):
    """`T#<t>#OFFER#<offerId>` / OFFER; its uses live in counter items (repository.offer_usage)."""

    offerId: str
    offerCode: str
    name: str
    merchantName: str | None
    description: str | None
    rewardType: str
    offerAmount: str
    minSpendAmount: str | None
    maxRewardAmount: str | None
    currency: str
    startDate: str | None
    endDate: str | None
    status: str
    requiresActivation: bool
    maxRedemptionsPerMember: int | None
    maxRedemptionsPerMemberInterval: NotRequired[str]  # day / week / month / year / lifetime (absent: lifetime)
    maxRedemptionsTotal: int | None
    channels: list[str]
    categoryId: str | None
    tags: list[dict[str, Any]]
    contentIds: list[str]
    images: dict[str, Any] | None
    messages: dict[str, Any] | None
    createdAt: str
    updatedAt: str
    version: int
    rulesVersion: NotRequired[int]  # the version its claim rules last changed in (offers stored before: `version`)
    usageShards: NotRequired[int]  # shard counts fixed at creation (older offers: the default)
    poolShards: NotRequired[int]


class OfferRedemptionRecord(TypedDict):
    """`T#<t>#OREDEEM#<id>`: an offer used by a member or on an order. Its id is stored as `id`, the contract's
    name, unlike the other entities' `<entity>Id` (docs/decisions.md, "Offer redemption ids")."""

    id: str
    offerId: str
    offerCode: str
    memberId: str | None
    orderId: str | None
    redeemedAt: str
    currency: str
    value: str | None
    rewardType: str
    rewardAmount: str | None
    points: int | None
    contentIds: list[str]
    transactionId: str | None
    createdAt: str
    limitWindow: NotRequired[str]  # the member's limit window the use was counted in (day/week/... limits only)
    status: NotRequired[str]  # redeemed / reversed (absent: redeemed)
    reversedAt: NotRequired[str | None]
    reversalReason: NotRequired[str | None]
    reversalTransactionId: NotRequired[str | None]
    deficitPoints: NotRequired[int | None]


class VoucherRecord(TypedDict):
    """`T#<t>#VOUCHER#<voucherId>`: a voucher of an offer, with its bearer code."""

    voucherId: str
    offerId: str
    redemptionCode: str
    memberId: str | None
    customerName: str | None
    status: str
    acquiredAt: str
    redeemedAt: str | None
    cancelledAt: str | None
    activationDate: str | None
    expirationDate: str | None
    orderId: str | None
    limitWindow: NotRequired[str]  # the member's limit window its issue was counted in (day/week/... limits only)


class WebhookRecord(TypedDict):
    """`T#<t>#WEBHOOKS` / `wh_<ULID>`: a webhook endpoint (§13; repository.webhooks). `secret` signs now;
    after a rotation `previousSecret` signs beside it until `previousSecretExpiresAt`."""

    webhookId: str
    url: str
    events: list[str]  # event types, or ["*"]
    description: str | None
    enabled: bool
    disabledReason: str | None  # paused (PATCH), failing (5 days), gone (410); None while enabled
    failingSince: str | None  # the first failure of the current failing streak; None when healthy
    secret: str
    previousSecret: str | None
    previousSecretExpiresAt: str | None
    createdAt: str
    updatedAt: str
    version: int
