"""A pure-Python model of offers, activations, redemptions and members' points: the answer each call must give."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
SKEW = timedelta(minutes=5)  # a till's redeemedAt may run this far ahead of the server's clock
STATUS_ORDER = {"draft": 0, "published": 1, "archived": 2}  # status moves forward only
OK, SAME = "ok", "same order"  # outcomes besides an error code: a new redemption, the first one answered again


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class ModelOffer:
    """What the model knows of one offer: its rules as created or updated, and its uses."""

    code: str
    reward_type: str
    amount: Decimal
    min_spend: Decimal | None = None
    max_reward: Decimal | None = None
    start: datetime | None = None
    end: datetime | None = None
    status: str = "draft"
    requires_activation: bool = False
    per_member: int | None = None
    total: int | None = None
    content_ids: list[str] = field(default_factory=list)
    uses: int = 0
    member_uses: Counter[str] = field(default_factory=Counter)
    interval: str = "lifetime"  # issue 23: the window maxRedemptionsPerMember counts in (the model knows day)
    window_uses: Counter[tuple[str, str]] = field(default_factory=Counter)  # (member, UTC day) → uses

    @classmethod
    def of(cls, body: dict[str, Any]) -> ModelOffer:
        def money(name: str) -> Decimal | None:
            return None if body.get(name) is None else Decimal(str(body[name]))

        def when(name: str) -> datetime | None:
            return None if body.get(name) is None else moment(body[name])

        return cls(
            code=body["offerCode"],
            reward_type=body["rewardType"],
            amount=Decimal(str(body["offerAmount"])),
            min_spend=money("minSpendAmount"),
            max_reward=money("maxRewardAmount"),
            start=when("startDate"),
            end=when("endDate"),
            status=body.get("status", "draft"),
            requires_activation=body.get("requiresActivation", False),
            per_member=body.get("maxRedemptionsPerMember"),
            total=body.get("maxRedemptionsTotal"),
            content_ids=list(body.get("contentIds", [])),
            interval=body.get("maxRedemptionsPerMemberInterval", "lifetime"),
        )

    def window(self, now: datetime) -> str:
        """The member's limit window a use at the server's `now` counts in (issue 23: day or lifetime)."""
        assert self.interval in ("day", "lifetime"), self.interval
        return now.date().isoformat() if self.interval == "day" else "lifetime"

    def member_used(self, member: str, now: datetime) -> int:
        """The member's uses the per-member limit counts now: in today's window, or ever."""
        return self.window_uses[(member, self.window(now))] if self.interval == "day" else self.member_uses[member]

    def usable_at(self, at: datetime) -> bool:
        """Started and not ended: usable from its startDate up to AND at its endDate."""
        return (self.start is None or self.start <= at) and (self.end is None or at <= self.end)

    def reward(self, value: Decimal | None) -> tuple[str | None, int | None]:
        """(rewardAmount, points): a percentage of the order or a fixed amount to the cent, then held to the cap
        and to the order's value (each down to the cent); or points."""
        if self.reward_type == "points":
            return None, int(self.amount)
        money = (value or Decimal(0)) * self.amount / 100 if self.reward_type == "percentage" else self.amount
        money = money.quantize(CENT, rounding=ROUND_HALF_UP)
        for ceiling in (self.max_reward, value):
            if ceiling is not None:
                money = min(money, ceiling.quantize(CENT, rounding=ROUND_DOWN))
        return str(money), None


@dataclass
class Points:
    """A member's points: lots in expiry order, each [last day, unspent]; spends draw the first to expire."""

    lots: list[list[Any]] = field(default_factory=list)

    @property
    def available(self) -> int:
        return sum(unspent for _, unspent in self.lots)

    def earn(self, points: int, expires_on: str) -> None:
        if self.lots and self.lots[-1][0] == expires_on:
            self.lots[-1][1] += points
        else:
            self.lots.append([expires_on, points])

    def spend(self, points: int) -> None:
        for lot in self.lots:
            taken = min(points, lot[1])
            lot[1] -= taken
            points -= taken

    def expire(self, today: str) -> tuple[int, int]:
        """(lots settled, points expired) for the lots whose last day is before today."""
        due = [lot for lot in self.lots if lot[0] < today]
        self.lots = [lot for lot in self.lots if lot[0] >= today]
        return len(due), sum(unspent for _, unspent in due)


class OfferModel:
    """Offers by code, activations, orders redeemed, and points per member; members are all active."""

    def __init__(self, offers: list[dict[str, Any]], members: list[str], expiry_days: int) -> None:
        self.offers = {body["offerCode"]: ModelOffer.of(body) for body in offers}
        self.activated: dict[tuple[str, str], str | None] = {}  # (member, code) → activatedAt
        self.orders: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]] = {}  # (code, orderId) → first
        self.points = {member: Points() for member in members}
        self.expiry_days = expiry_days
        self.made: dict[str, tuple[dict[str, Any], dict[str, Any], str]] = {}  # id → (body, answer, window)

    # --- the catalog ---------------------------------------------------------------------------

    def update(self, code: str, body: dict[str, Any]) -> str:
        """An offer update's outcome, in the service's order: archived offers are frozen, status moves
        forward only. Either limit may drop below the uses so far: it governs the uses after it, so
        the offer or the members above it are refused from then on. An update that changes nothing is a 200."""
        offer = self.offers[code]
        now = {"status": offer.status, "maxRedemptionsTotal": offer.total, "maxRedemptionsPerMember": offer.per_member}
        changes = {name: value for name, value in body.items() if now[name] != value}
        status = changes.get("status", offer.status)
        total = changes.get("maxRedemptionsTotal", offer.total)
        if changes and offer.status == "archived":
            return "invalid_state"
        if STATUS_ORDER[status] < STATUS_ORDER[offer.status]:
            return "invalid_state"
        offer.status = status
        offer.total = total
        offer.per_member = changes.get("maxRedemptionsPerMember", offer.per_member)
        return OK

    def activate(self, member: str, code: str, now: datetime, stamp: str) -> tuple[str, str | None]:
        """(outcome, activatedAt): a published offer not ended (at its endDate still) can be clipped;
        clipping again keeps the first activatedAt."""
        offer = self.offers[code]
        if offer.status != "published" or (offer.end is not None and offer.end < now):
            return "offer_not_active", None
        first = self.activated.get((member, code)) or stamp
        self.activated[(member, code)] = first
        return OK, first

    def deactivate(self, member: str, code: str) -> None:
        self.activated[(member, code)] = None

    # --- redemptions ---------------------------------------------------------------------------

    def redeem(self, body: dict[str, Any], now: datetime) -> str:
        """A redemption's outcome; the first failing check decides the code (docs/decisions.md order)."""
        offer = self.offers[body["offerCode"]]
        member = body.get("memberId")
        at = moment(body["redeemedAt"]) if body.get("redeemedAt") else now
        value = Decimal(body["value"]) if body.get("value") is not None else None
        if at > now + SKEW:
            return "validation_error"
        if body.get("orderId") and (body["offerCode"], body["orderId"]) in self.orders:
            first, _ = self.orders[(body["offerCode"], body["orderId"])]
            return SAME if first == body else "already_redeemed"
        if member is None and (offer.reward_type == "points" or offer.per_member is not None):
            return "validation_error"
        if offer.status != "published" or not offer.usable_at(at):
            return "offer_not_active"
        if offer.reward_type == "percentage" and value is None:
            return "validation_error"
        if offer.min_spend is not None and (value is None or value < offer.min_spend):
            return "minimum_spend_not_met"
        if offer.content_ids and not set(offer.content_ids) & set(body.get("contentIds") or []):
            return "invalid_state"
        if offer.requires_activation and (member is None or not self.activated.get((member, offer.code))):
            return "offer_not_activated"
        if member is not None and offer.per_member is not None and offer.member_used(member, now) >= offer.per_member:
            return "offer_limit_reached"
        if offer.total is not None and offer.uses >= offer.total:
            return "offer_limit_reached"
        return OK

    def redeemed(self, body: dict[str, Any], redemption: dict[str, Any], now: datetime) -> None:
        """Record a redemption the model predicted: a use, the order, and a points offer's lot."""
        offer = self.offers[body["offerCode"]]
        offer.uses += 1
        if body.get("memberId"):
            offer.member_uses[body["memberId"]] += 1
            offer.window_uses[(body["memberId"], offer.window(now))] += 1
        if body.get("orderId"):
            self.orders[(offer.code, body["orderId"])] = (body, redemption)
        self.made[redemption["id"]] = (body, redemption, offer.window(now))
        _, points = offer.reward(None)
        if points is not None:
            self.points[body["memberId"]].earn(points, (now + timedelta(days=self.expiry_days)).date().isoformat())

    def expected_redemption(self, body: dict[str, Any], now: datetime) -> dict[str, Any]:
        """The fields of the redemption the contract promises for this body."""
        offer = self.offers[body["offerCode"]]
        value = Decimal(body["value"]) if body.get("value") is not None else None
        amount, points = offer.reward(value)
        return {
            "offerCode": offer.code,
            "memberId": body.get("memberId"),
            "orderId": body.get("orderId"),
            "redeemedAt": body.get("redeemedAt") or now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "value": body.get("value"),
            "rewardType": offer.reward_type,
            "rewardAmount": amount,
            "points": points,
            "contentIds": body.get("contentIds") or [],
        }

    # --- points --------------------------------------------------------------------------------

    def spend(self, member: str, points: int) -> str:
        book = self.points[member]
        if points > book.available:
            return "insufficient_points"
        book.spend(points)
        return OK

    def expire(self, today: str) -> tuple[int, int]:
        """(lots, points) the expiry job settles today over every member."""
        settled = [book.expire(today) for book in self.points.values()]
        return sum(lots for lots, _ in settled), sum(points for _, points in settled)

    # --- reversals (issue 23 item 5) -----------------------------------------------------------

    def reverse(self, redemption_id: str, reason: str | None) -> tuple[dict[str, Any], bool]:
        """(the fields a reversal answers, whether it posts a return transaction). A reversed redemption
        answers as it is; else its use goes back to the offer's total, to the member's uses and to the
        window it was counted in, and a points offer's points are taken back from what the member has,
        first to expire first, the rest reported as deficitPoints."""
        body, answer, window = self.made[redemption_id]
        if answer["status"] == "reversed":
            return answer, answer["reversalTransactionId"] is not None
        offer, member, points = self.offers[body["offerCode"]], body.get("memberId"), answer["points"]
        offer.uses -= 1
        if member is not None:
            offer.member_uses[member] -= 1
            offer.window_uses[(member, window)] -= 1
        taken = 0
        if points is not None:
            assert member is not None
            taken = min(points, self.points[member].available)
            self.points[member].spend(taken)
        expected = {"status": "reversed", "reversalReason": reason, "deficitPoints": (points or 0) - taken}
        return expected, taken > 0

    def reversed(self, redemption_id: str, answer: dict[str, Any]) -> None:
        """Take in the reversal's answer: later calls and the same order again answer it."""
        body, _, window = self.made[redemption_id]
        self.made[redemption_id] = (body, answer, window)
        if body.get("orderId"):
            self.orders[(body["offerCode"], body["orderId"])] = (body, answer)
