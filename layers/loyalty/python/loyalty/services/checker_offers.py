"""The ledger checker's offer part: usage counters against redemptions, limits, points redemptions' awards."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from loyalty import clock
from loyalty.repository import activations as activations_db
from loyalty.repository import ledger as ledger_db
from loyalty.repository import offer_redemptions as offer_redemptions_db
from loyalty.repository import offer_usage as usage_db
from loyalty.repository import offers as offers_db
from loyalty.repository import store
from loyalty.services import awards, transactions

if TYPE_CHECKING:
    from loyalty.repository.records import OfferRedemptionRecord, TransactionRecord


def _awards(tenant_id: str, redemptions: list[OfferRedemptionRecord]) -> list[TransactionRecord | None]:
    wanted = [ledger_db.key(tenant_id, str(r["transactionId"])) for r in redemptions]  # points ones: named
    return store.get_many(wanted)


def _current_windows() -> set[str]:
    """The names of the windows now running (day, week, month, year: their names never collide)."""
    now = clock.now()
    return {awards.window(interval, now)[0] for interval in ("day", "week", "month", "year")}


def check_offers(
    tenant_id: str,
    member_ids: list[str],
    voucher_uses: Sequence[tuple[str, str | None, str | None]] = (),
) -> list[dict[str, Any]]:
    """Per offer: Σ uses = redemptions recorded - reversed + vouchers issued (`voucher_uses`: offerId,
    memberId and limitWindow of each), no shard above its cap, caps adding up to the total limit or,
    when the limit was lowered below the uses made, to those uses (every shard full: no use since); per
    member: uses = the member's redemptions not reversed + vouchers, and each window counter of a period
    limit = the uses counted in that window (a past window's counter may be gone: TTL). A limit governs
    the uses after it was set (docs/decisions.md, "Limits"), so uses above a lowered limit are not a
    problem, and no use can pass a limit in force: each claim carries it as its condition. Every points
    redemption has its approved award of the same points for the same member; a reversed one has them
    all returned, and its return transaction (if any) holds what was taken back."""
    problems: list[dict[str, Any]] = []

    def report(offer_id: str, problem: str, **facts: Any) -> None:
        problems.append({"tenantId": tenant_id, "offerId": offer_id, "problem": problem, **facts})

    sold = offer_redemptions_db.everything(tenant_id)
    live = [r for r in sold if r.get("status", "redeemed") != "reversed"]
    per_offer = Counter(r["offerId"] for r in live)
    per_member = Counter((r["memberId"], r["offerId"]) for r in live if r.get("memberId"))
    per_window = Counter(
        (r["memberId"], r["offerId"], r["limitWindow"]) for r in live if r.get("memberId") and r.get("limitWindow")
    )
    for offer_id, member_id, window in voucher_uses:  # an issued voucher is a use of its offer too
        per_offer[offer_id] += 1
        if member_id:
            per_member[(member_id, offer_id)] += 1
            if window:
                per_window[(member_id, offer_id, window)] += 1
    for offer_id, (offer, shards) in offers_db.everything(tenant_id).items():
        if offer is None or offers_db.missing_shards(tenant_id, offer, shards):
            report(offer_id, "an offer without its usage shards", shards=len(shards))
            continue
        used = usage_db.used(shards)
        if used != per_offer[offer_id]:
            report(
                offer_id,
                "redemptionCount differs from the redemptions recorded",
                stored=used,
                counted=per_offer[offer_id],
            )
        total = offer["maxRedemptionsTotal"]  # may be below `used`: a limit lowered under the uses made
        if total is not None and usage_db.caps_total(shards) != max(total, used):
            report(offer_id, "shard caps do not add up to the total limit (or the uses, if more)", limit=total)
        for shard in usage_db.over_cap(shards):
            report(offer_id, "a usage shard above its cap", shard=shard)
    for member_id in member_ids:
        states = {s["offerId"]: s for s in activations_db.of_member(tenant_id, member_id)}
        for offer_id in set(states) | {o for m, o in per_member if m == member_id}:
            uses, counted = states.get(offer_id, {}).get("uses", 0), per_member[(member_id, offer_id)]
            if uses != counted:
                report(
                    offer_id,
                    "a member's uses differ from the member's redemptions",
                    memberId=member_id,
                    stored=uses,
                    counted=counted,
                )
        problems += _window_problems(tenant_id, member_id, per_window)
    points = [r for r in sold if r.get("points")]
    for redemption, entry in zip(points, _awards(tenant_id, points), strict=True):
        if (
            entry is None
            or entry["type"] != "award"
            or entry["status"] not in transactions.APPROVED
            or entry["points"] != redemption["points"]
            or entry["memberId"] != redemption["memberId"]
        ):
            report(redemption["offerId"], "a points redemption without its award", redemptionId=redemption["id"])
        elif redemption.get("status") == "reversed" and entry.get("returnedPoints") != redemption["points"]:
            report(
                redemption["offerId"],
                "a reversed redemption whose award was not returned",
                redemptionId=redemption["id"],
            )
        elif redemption.get("status", "redeemed") != "reversed" and entry.get("returnedPoints"):
            report(redemption["offerId"], "a redemption whose award was returned", redemptionId=redemption["id"])
    reversed_ = [r for r in points if r.get("status") == "reversed" and r.get("reversalTransactionId")]
    for redemption, entry in zip(reversed_, _returns(tenant_id, reversed_), strict=True):
        if (
            entry is None
            or entry["type"] != "return"
            or entry["memberId"] != redemption["memberId"]
            or entry["points"] + (redemption.get("deficitPoints") or 0) != redemption["points"]
        ):
            report(redemption["offerId"], "a reversal without its return transaction", redemptionId=redemption["id"])
    return problems


def _returns(tenant_id: str, redemptions: list[OfferRedemptionRecord]) -> list[TransactionRecord | None]:
    return store.get_many([ledger_db.key(tenant_id, str(r["reversalTransactionId"])) for r in redemptions])


def _window_problems(
    tenant_id: str, member_id: str, per_window: Counter[tuple[str | None, str, str]]
) -> list[dict[str, Any]]:
    """A member's window counters against the uses counted in each window (one Query of the member's
    partition); a counter of a past window may have been forgotten (TTL), a current one may not."""
    stored: dict[tuple[str | None, str, str], int] = {
        (member_id, *activations_db.window_of(counter)): counter.get("count", 0)
        for counter in activations_db.windows_of_member(tenant_id, member_id)
    }
    current = _current_windows()
    problems = []
    for key in set(stored) | {k for k in per_window if k[0] == member_id}:
        counted = per_window[key]
        if key not in stored and (counted == 0 or key[2] not in current):
            continue
        if stored.get(key, 0) != counted:
            problems.append(
                {
                    "tenantId": tenant_id,
                    "offerId": key[1],
                    "problem": "a member's window counter differs from the uses counted in that window",
                    "memberId": member_id,
                    "window": key[2],
                    "stored": stored.get(key, 0),
                    "counted": counted,
                }
            )
    return problems
