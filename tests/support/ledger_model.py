"""A pure-Python model of one tenant's points ledger that predicts each service call of the ledger state machine.

It knows the rules from the contract and the services, written out again without their code: per
member balances and lots (spent first-to-expire, expired by the day after their last day), activity
caps in UTC calendar windows (day, ISO week, month, year) or the lifetime, pending awards and their
approval (by hand or when due), orders earning once (recorded by POST /orders or by an award with an
orderId through a multiplier activity, other such awards joining it) and returns taking back what the
returned value earned, the member keeping what the rest of the order earns (contract §10; pending points
first, then approved ones, a shortfall as a deficit; a preview is the same prediction on a copy), reward
redemptions with the reasons of contract §10 in the service's order (member inactive, reward inactive, before
its startDate or after its endDate, another tier, maxPerMember in the UTC day / ISO week / month / year of
maxPerMemberInterval or the lifetime, points, the code pool), refunds, a cancel giving a use back to its
window while that window lasts. Each method says what a call must answer (`Expect`):
a refusal code, or "ok" with the exact amounts, and applies the change to the model if it succeeds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction
from math import floor
from typing import Any

OK = "ok"
BALANCE_FIELDS = ("available", "pending", "redeemed", "expired", "lifetime", "qualified")
NEVER = "9999-12-31"


def cap_window(interval: str, moment: datetime) -> Any:
    """The calendar window (UTC) a moment falls in for a cap: its day, ISO week, month, year, or one lifetime."""
    if interval == "day":
        return moment.date()
    if interval == "week":
        year, week, _ = moment.isocalendar()
        return ("week", year, week)
    if interval == "month":
        return ("month", moment.year, moment.month)
    if interval == "year":
        return ("year", moment.year)
    return "lifetime"


def last_day(interval: str, today: date) -> date:
    """The last day of the window of `interval` that `today` is in (a day for 'day')."""
    if interval == "week":
        return today + timedelta(days=7 - today.isoweekday())
    if interval == "month":
        return (today.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    if interval == "year":
        return today.replace(month=12, day=31)
    return today


def first_day(interval: str, today: date) -> date:
    """The first day of the window of `interval` that `today` is in (a day for 'day')."""
    if interval == "week":
        return today - timedelta(days=today.isoweekday() - 1)
    if interval == "month":
        return today.replace(day=1)
    if interval == "year":
        return today.replace(month=1, day=1)
    return today


@dataclass
class Member:
    status: str = "active"
    balance: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BALANCE_FIELDS, 0))
    lots: list[list[Any]] = field(default_factory=list)  # [expiresOn, unspent points], soonest first
    last_lot: str | None = None  # the expiry of the last lot credited (lastLotExpiry)
    caps: Counter[tuple[str, Any]] = field(default_factory=Counter)  # (activityId, window) → awards
    holds: Counter[str] = field(default_factory=Counter)  # rewardId → redemptions not cancelled
    # (rewardId, window) → redemptions not cancelled counted in that window of the reward's maxPerMemberInterval
    windows: Counter[tuple[str, Any]] = field(default_factory=Counter)


@dataclass
class Award:
    member_id: str
    points: int
    status: str
    qualified: bool
    due: datetime | None = None  # autoApprovalDate of a delayed award
    cancelled: int = 0
    returned: int = 0


@dataclass
class Order:
    member_id: str
    total: int  # cents
    awarded: int
    awards: list[str] = field(default_factory=list)  # the transactionIds of its awards
    earned: list[Fraction] = field(default_factory=list)  # each award's base * multiplier, before the floor
    returned_cents: int = 0
    returned_points: int = 0
    returns: int = 0


@dataclass
class Redemption:
    member_id: str
    reward_id: str
    points: int
    status: str
    window: Any = None  # the window of the reward's maxPerMemberInterval it counted in (None: lifetime or no limit)


@dataclass
class Expect:
    """What a call must answer: `code` ("ok" or the refusal), the fields an answer must hold, a new award."""

    code: str = OK
    fields: dict[str, Any] = field(default_factory=dict)
    award: Award | None = None
    order_id: str | None = None  # the order the new award joins (its transactionId is learnt from the answer)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# The refusal POST /members/{id}/redemptions answers for the first reason (contract section 10).
REASON_CODES = {
    "member_inactive": "invalid_state",
    "inactive": "reward_inactive",
    "not_started": "reward_inactive",
    "ended": "reward_inactive",
    "tier": "not_eligible",
    "member_limit_reached": "frequency_limit_reached",
    "insufficient_points": "insufficient_points",
    "out_of_stock": "out_of_stock",
}


class LedgerModel:
    """One tenant: its activities, rewards and settings (given), and everything the calls change."""

    def __init__(
        self,
        activities: list[dict[str, Any]],
        rewards: list[dict[str, Any]],
        expiry_days: int,
        pending_days: int,
        tiers: list[dict[str, Any]] | None = None,
    ) -> None:
        self.activities = {a["activityId"]: a for a in activities}
        self.rewards = {r["rewardId"]: dict(r) for r in rewards}  # as stored: updated by `update_reward`
        self.tiers = tiers or []  # ascending thresholds of qualified points
        self.expiry_days, self.pending_days = expiry_days, pending_days
        self.members: dict[str, Member] = {}
        self.awards: dict[str, Award] = {}
        self.orders: dict[str, Order] = {}
        self.redemptions: dict[str, Redemption] = {}
        self.earned_once: set[tuple[str, str]] = set()  # (activityId, orderId)
        self.codes: set[str] = set()  # every code ever added to the pool
        self.codes_available = 0
        self.issued: Counter[str] = Counter()  # rewardId → redemptions made

    # points and lots

    def _credit(self, member: Member, points: int, now: datetime) -> str:
        today = now.date().isoformat()
        last = member.last_lot if member.last_lot is not None and member.last_lot >= today else None
        expires_on = max((now + timedelta(days=self.expiry_days)).date().isoformat(), last or "")
        if member.lots and member.lots[-1][0] == expires_on:
            member.lots[-1][1] += points
        else:
            assert all(lot[0] < expires_on for lot in member.lots), (member.lots, expires_on)
            member.lots.append([expires_on, points])
        member.last_lot = expires_on
        member.balance["available"] += points
        return f"{expires_on}T23:59:59Z"

    def _earn(self, member: Member, points: int, qualified: bool, now: datetime) -> str:
        member.balance["lifetime"] += points
        member.balance["qualified"] += points if qualified else 0
        return self._credit(member, points, now)

    @staticmethod
    def _consume(member: Member, points: int) -> None:
        """Spend from the lots that expire first."""
        member.balance["available"] -= points
        for lot in member.lots:
            taken = min(lot[1], points)
            lot[1] -= taken
            points -= taken
        assert points == 0 and member.balance["available"] >= 0

    @staticmethod
    def after(member: Member) -> dict[str, int]:
        return {"available": member.balance["available"], "pending": member.balance["pending"]}

    def expiring(self, member_id: str, after: str, unspent: bool = False) -> str | None:
        """The soonest expiry date of a member's lots on or after `after` (YYYY-MM-DD); with `unspent`, of
        those that still hold points."""
        lots = self.members[member_id].lots
        return next((lot[0] for lot in lots if lot[0] >= after and (lot[1] > 0 or not unspent)), None)

    # members

    def add_member(self, member_id: str) -> None:
        self.members[member_id] = Member()

    def set_status(self, member_id: str, status: str) -> Expect:
        member = self.members[member_id]
        if member.status == "erased":
            return Expect("invalid_state")
        member.status = status
        return Expect(fields={"status": status, "balance": dict(member.balance)})

    def erase(self, member_id: str) -> None:
        self.members[member_id].status = "erased"

    @staticmethod
    def _refused_member(member: Member) -> str | None:
        return "invalid_state" if member.status != "active" else None

    # awards, deductions, approvals

    def points_of(self, activity_id: str, points: int | None) -> int:
        activity = self.activities[activity_id]
        if activity.get("type") == "multiplier":
            assert points is not None
            return floor(Fraction(points) * Fraction(str(activity["multiplier"])))
        return points if points is not None else activity.get("points", 1)

    def cap_of(self, activity_id: str, now: datetime) -> tuple[str, Any] | None:
        interval = self.activities[activity_id].get("maxAwardFrequencyInterval")
        return (activity_id, cap_window(interval, now)) if interval else None

    def award(
        self, member_id: str, activity_id: str, points: int | None, order_id: str | None, now: datetime
    ) -> Expect:
        member, activity = self.members[member_id], self.activities[activity_id]
        amount = self.points_of(activity_id, points)
        cap = self.cap_of(activity_id, now)
        if refused := self._refused_member(member):
            return Expect(refused)
        if cap is not None and member.caps[cap] >= activity["maxAwardFrequency"]:
            return Expect("frequency_limit_reached")
        if order_id and (activity_id, order_id) in self.earned_once:
            return Expect("duplicate")
        if not order_id or activity.get("type") != "multiplier":
            return self._grant(member_id, activity_id, amount, order_id, now)
        assert points is not None
        order = self.orders.get(order_id) or Order(member_id, points * 100, 0)
        if order.member_id != member_id:
            return Expect("duplicate")
        if order.returns or len(order.earned) >= 10:
            return Expect("invalid_state")
        self.orders[order_id] = order
        order.awarded += amount
        order.earned.append(Fraction(points) * Fraction(str(activity["multiplier"])))
        expect = self._grant(member_id, activity_id, amount, order_id, now)
        expect.order_id = order_id
        return expect

    def _grant(self, member_id: str, activity_id: str, points: int, order_id: str | None, now: datetime) -> Expect:
        member, activity = self.members[member_id], self.activities[activity_id]
        if (cap := self.cap_of(activity_id, now)) is not None:
            member.caps[cap] += 1
        if order_id:
            self.earned_once.add((activity_id, order_id))
        qualified = activity.get("qualifiedPoints", True)
        method = activity.get("approvalMethod", "immediate")
        fields: dict[str, Any] = {"type": "award", "points": points, "memberId": member_id, "orderId": order_id}
        if method == "immediate":
            fields.update(
                status="approved", expiresAt=self._earn(member, points, qualified, now), autoApprovalDate=None
            )
            award = None
        else:
            member.balance["pending"] += points
            due = now + timedelta(days=self.pending_days) if method == "delayed" else None
            fields.update(status="pending", expiresAt=None, autoApprovalDate=due and _iso(due))
            award = Award(member_id, points, "pending", qualified, due)
        fields["balanceAfter"] = self.after(member)
        return Expect(fields=fields, award=award)

    def window_reset(self, member_id: str, activity_id: str, now: datetime) -> str | None:
        """The interval of a calendar cap whose window reset for a capped award just granted at `now`: the
        award is the first of its window and the window before it was full (else None)."""
        activity = self.activities[activity_id]
        interval = activity.get("maxAwardFrequencyInterval")
        if interval in (None, "lifetime"):
            return None
        caps = self.members[member_id].caps
        before = now - timedelta(days=(now.date() - first_day(interval, now.date())).days + 1)
        full = caps[(activity_id, cap_window(interval, before))] >= activity["maxAwardFrequency"]
        return interval if full and caps[(activity_id, cap_window(interval, now))] == 1 else None

    def deduct(self, member_id: str, points: int) -> Expect:
        member = self.members[member_id]
        if refused := self._refused_member(member):
            return Expect(refused)
        if points > member.balance["available"]:
            return Expect("insufficient_points")
        self._consume(member, points)
        return Expect(
            fields={"type": "deduct", "points": points, "status": "approved", "balanceAfter": self.after(member)}
        )

    def decide(self, transaction_id: str, approve: bool, now: datetime) -> Expect:
        award = self.awards[transaction_id]
        member = self.members[award.member_id]
        if award.status != "pending":
            return Expect("invalid_state")
        if approve and member.status == "erased":
            return Expect("invalid_state")
        points = award.points - award.cancelled
        member.balance["pending"] -= points
        award.status = "approved" if approve else "rejected"
        fields: dict[str, Any] = {"status": award.status, "points": award.points, "cancelledPoints": award.cancelled}
        if approve:
            fields["expiresAt"] = self._earn(member, points, award.qualified, now)
        return Expect(fields=fields)

    def approve_due(self, now: datetime) -> dict[str, int]:
        """The auto-approval job: pending delayed awards due by now; an erased member's are rejected."""
        approved = 0
        for award in self.awards.values():
            if award.status != "pending" or award.due is None or award.due > now:
                continue
            member = self.members[award.member_id]
            points = award.points - award.cancelled
            member.balance["pending"] -= points
            if member.status == "erased":
                award.status = "rejected"
                continue
            award.status = "auto_approved"
            self._earn(member, points, award.qualified, now)
            approved += 1
        return {"approved": approved}

    def expire(self, now: datetime) -> dict[str, int]:
        """The expiry job: every lot whose last day is before today (UTC) loses what is unspent."""
        today = now.date().isoformat()
        lots = points = 0
        for member in self.members.values():
            due = [lot for lot in member.lots if lot[0] < today]
            member.lots = member.lots[len(due) :]
            for expires_on, unspent in due:
                lots, points = lots + 1, points + unspent
                member.balance["expired"] += unspent
                member.balance["available"] -= unspent
                if expires_on == member.last_lot:
                    member.last_lot = None
        return {"lots": lots, "points": points}

    # orders and returns

    def order(self, member_id: str, order_id: str, cents: int, sale_id: str, now: datetime) -> Expect:
        member = self.members[member_id]
        if member.status == "erased":
            return Expect("invalid_state")
        earned = Fraction(cents, 100) * Fraction(str(self.activities[sale_id]["multiplier"]))
        points = floor(earned)
        expect = Expect(fields={"pointsAwarded": points, "pointsReturned": 0, "memberId": member_id})
        if points > 0:
            cap = self.cap_of(sale_id, now)
            if refused := self._refused_member(member):
                return Expect(refused)
            if cap is not None and member.caps[cap] >= self.activities[sale_id]["maxAwardFrequency"]:
                return Expect("frequency_limit_reached")
            if (sale_id, order_id) in self.earned_once:
                return Expect("duplicate")
            expect.award = self._grant(member_id, sale_id, points, order_id, now).award
        self.orders[order_id] = Order(member_id, cents, points, earned=[earned])
        return expect

    def order_left(self, order_id: str) -> int:
        order = self.orders[order_id]
        return order.total - order.returned_cents

    def return_order(self, order_id: str, cents: int | None) -> Expect:
        order = self.orders[order_id]
        left = order.total - order.returned_cents
        if (left <= 0 and order.returned_points >= order.awarded) or order.returns >= 100:
            return Expect("invalid_state")
        amount = left if cents is None else cents
        if amount > left:
            return Expect("validation_error")
        cumulative = order.returned_cents + amount
        left = order.total - cumulative  # what the member keeps is what this earns, each award by its formula
        kept = sum(floor(earned * left / order.total) for earned in order.earned) if left > 0 else 0
        points = wanted = order.awarded - kept - order.returned_points
        cancelled = deducted = deficit = 0
        awards = [award for award in map(self.awards.get, order.awards) if award is not None]
        member = self.members[order.member_id]
        for award in [award for award in awards if award.status == "pending"]:
            cancelling = max(0, min(wanted, award.points - award.cancelled))
            member.balance["pending"] -= cancelling
            award.cancelled += cancelling
            if cancelling and award.cancelled == award.points:
                award.status = "rejected"
            wanted -= cancelling
            cancelled += cancelling
        for award in [award for award in awards if award.status in ("approved", "auto_approved")]:
            taking = max(0, min(wanted, award.points - award.cancelled - award.returned))
            taken = min(taking, member.balance["available"])
            self._consume(member, taken)
            deficit += taking - taken
            deducted += taken
            member.balance["lifetime"] -= taking
            member.balance["qualified"] -= taking if award.qualified else 0
            award.returned += taking
            wanted -= taking
        order.returned_cents, order.returned_points = cumulative, order.returned_points + points
        order.returns += 1
        return Expect(
            fields={
                "points": points,
                "cancelledPendingPoints": cancelled,
                "deductedPoints": deducted,
                "deficitPoints": deficit,
            }
        )

    # rewards

    def add_codes(self, reward_id: str, codes: list[str]) -> Expect:
        """Codes for the (one) coupon reward's pool: a code known already, or given twice, is skipped."""
        fresh = [code for code in dict.fromkeys(codes) if code not in self.codes]
        self.codes |= set(fresh)
        self.codes_available += len(fresh)
        stock = {"total": len(self.codes), "available": self.codes_available, "issued": self.issued[reward_id]}
        return Expect(fields={"added": len(fresh), "skipped": len(codes) - len(fresh), "stock": stock})

    def update_reward(self, reward_id: str, changes: dict[str, Any]) -> None:
        """A PATCH of a reward's isActive, startDate or endDate (null clears a date)."""
        self.rewards[reward_id].update(changes)

    def tier(self, member_id: str) -> str | None:
        """The member's tier: the highest whose threshold its qualified points reach."""
        qualified = self.members[member_id].balance["qualified"]
        reached = [tier["tierId"] for tier in self.tiers if tier["threshold"] <= qualified]
        return reached[-1] if reached else None

    def reward_window(self, reward_id: str, now: datetime) -> Any:
        """The window of the reward's maxPerMemberInterval a redemption at `now` counts in (None: lifetime or
        no limit)."""
        reward = self.rewards[reward_id]
        interval = reward.get("maxPerMemberInterval", "lifetime")
        if reward.get("maxPerMember") is None or interval == "lifetime":
            return None
        return cap_window(interval, now)

    def reward_used(self, member_id: str, reward_id: str, now: datetime) -> int:
        """The member's redemptions of the reward that count against maxPerMember at `now`."""
        member, window = self.members[member_id], self.reward_window(reward_id, now)
        return member.holds[reward_id] if window is None else member.windows[(reward_id, window)]

    def reasons(self, member_id: str, reward_id: str, now: datetime) -> list[str]:
        """Why the member may not redeem the reward at `now`, in the order of contract section 10 (the first
        is the refusal; `REASON_CODES`); empty: it may."""
        member, reward = self.members[member_id], self.rewards[reward_id]
        moment = now.replace(microsecond=0)
        start, end = reward.get("startDate"), reward.get("endDate")
        checks = [
            ("member_inactive", member.status != "active"),
            ("inactive", not reward.get("isActive", False)),
            ("not_started", start is not None and moment < _parse(start)),
            ("ended", end is not None and moment > _parse(end)),
            ("tier", bool(reward.get("tierIds")) and self.tier(member_id) not in reward["tierIds"]),
            (
                "member_limit_reached",
                reward.get("maxPerMember") is not None
                and self.reward_used(member_id, reward_id, now) >= reward["maxPerMember"],
            ),
            ("insufficient_points", reward["pointsCost"] > member.balance["available"]),
            ("out_of_stock", reward["fulfillment"] == "coupon" and self.codes_available == 0),
        ]
        return [reason for reason, holds in checks if holds]

    def redeem(self, member_id: str, reward_id: str, now: datetime) -> Expect:
        member, reward = self.members[member_id], self.rewards[reward_id]
        coupon = reward["fulfillment"] == "coupon"
        if reasons := self.reasons(member_id, reward_id, now):
            return Expect(REASON_CODES[reasons[0]])
        self._consume(member, reward["pointsCost"])
        member.balance["redeemed"] += reward["pointsCost"]
        member.holds[reward_id] += 1
        if (window := self.reward_window(reward_id, now)) is not None:
            member.windows[(reward_id, window)] += 1
        self.issued[reward_id] += 1
        self.codes_available -= 1 if coupon else 0
        status = "issued" if coupon else "pending"
        return Expect(fields={"status": status, "points": reward["pointsCost"], "memberId": member_id})

    def settle(self, redemption_id: str, complete: bool, refund: bool, now: datetime) -> Expect:
        redemption = self.redemptions[redemption_id]
        member = self.members[redemption.member_id]
        if complete:
            if redemption.status != "pending":
                return Expect("invalid_state")
            redemption.status = "completed"
            return Expect(fields={"status": "completed"})
        if redemption.status not in ("issued", "pending") or (
            refund and redemption.points and member.status == "erased"
        ):
            return Expect("invalid_state")
        redemption.status = "cancelled"
        if redemption.points == 0:  # a reward grant (issue 25): it counted in no limit and refunds nothing
            return Expect(fields={"status": "cancelled", "refundTransactionId": None})
        member.holds[redemption.reward_id] -= 1
        if redemption.window is not None and redemption.window == self.reward_window(redemption.reward_id, now):
            member.windows[(redemption.reward_id, redemption.window)] -= 1  # a window that ended gets nothing back
        if refund:
            member.balance["redeemed"] -= redemption.points
            self._credit(member, redemption.points, now)
        return Expect(fields={"status": "cancelled"})


# --- referrals (issue 23, item 4): POST /members/{id}/referral -----------------------------------------


@dataclass
class Referrals:
    """Who referred whom (and when), each referrer's count, and the program's referral settings; `refer`
    predicts a referral through the ledger model, whose members, caps and lots its awards move."""

    referrer_activity: str | None
    referee_activity: str | None
    window_days: int | None
    referred_by: dict[str, tuple[str, str]] = field(default_factory=dict)  # referee → (referrer, at)
    counts: Counter[str] = field(default_factory=Counter)  # referrer → members it referred

    def refer(
        self, ledger: LedgerModel, referee_id: str, referrer_id: str | None, enrolled: datetime, now: datetime
    ) -> tuple[Expect, list[Expect]]:
        """The answer, and each award made (the referrer's, then the referee's); `referrer_id` None is a code no
        member holds, `enrolled` the referee's enrolment. The checks in the service's order (docs/decisions.md)."""
        if ledger.members[referee_id].status == "erased":
            return Expect("invalid_state"), []
        if referrer_id is None or ledger.members[referrer_id].status == "erased":
            return Expect("not_found"), []
        if referee_id in self.referred_by:
            return Expect("already_referred"), []
        if referrer_id == referee_id or self.referred_by.get(referrer_id, ("",))[0] == referee_id:
            return Expect("self_referral"), []
        if self.window_days is not None and now > enrolled + timedelta(days=self.window_days):
            return Expect("invalid_state"), []
        grants = [
            granted
            for member_id, activity_id in ((referrer_id, self.referrer_activity), (referee_id, self.referee_activity))
            if (granted := self._award(ledger, member_id, activity_id, now)) is not None
        ]
        self.referred_by[referee_id] = (referrer_id, _iso(now))
        self.counts[referrer_id] += 1
        return Expect(fields={"referrerId": referrer_id, "refereeId": referee_id, "at": _iso(now)}), grants

    @staticmethod
    def _award(ledger: LedgerModel, member_id: str, activity_id: str | None, now: datetime) -> Expect | None:
        """A referral award as the award rules grant it, or None when they refuse it (then it is skipped)."""
        if activity_id is None or ledger.members[member_id].status != "active":
            return None
        activity = ledger.activities[activity_id]
        cap = ledger.cap_of(activity_id, now)
        if cap is not None and ledger.members[member_id].caps[cap] >= activity["maxAwardFrequency"]:
            return None
        return ledger._grant(member_id, activity_id, activity.get("points", 1), None, now)


# --- challenges (issue 25, item 1): responses, approve, reject, limits ------------------------------------


@dataclass
class Challenges:
    """The machine's challenges ({challengeId: {activityId, approvalMethod, maxResponsesPerMember, interval}}),
    each response's (member, challenge, status) and each member's responses per (challenge, window); `respond`,
    `approve` and `reject` predict the service through the ledger model, whose caps and lots the awards move."""

    challenges: dict[str, dict[str, Any]]
    responses: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # responseId → member, challenge, status
    counts: Counter[tuple[str, str, Any]] = field(default_factory=Counter)  # (member, challenge, window) → responses

    def respond(
        self, ledger: LedgerModel, member_id: str, challenge_id: str, now: datetime
    ) -> tuple[Expect, Expect | None]:
        """The answer and the award an immediate challenge makes with it, in the service's order of checks."""
        challenge = self.challenges[challenge_id]
        if refused := ledger._refused_member(ledger.members[member_id]):
            return Expect(refused), None
        window = (member_id, challenge_id, cap_window(challenge["interval"], now))
        if self.counts[window] >= challenge["maxResponsesPerMember"]:
            return Expect("frequency_limit_reached"), None
        fields: dict[str, Any] = {"memberId": member_id, "challengeId": challenge_id, "status": "pending"}
        award = None
        if challenge["approvalMethod"] == "immediate":
            award = self._award(ledger, member_id, challenge["activityId"], now)
            if award.code != OK:
                return award, None
            fields["status"] = "approved"
        self.counts[window] += 1
        return Expect(fields=fields), award

    def learn(self, response_id: str, member_id: str, challenge_id: str, status: str) -> None:
        self.responses[response_id] = (member_id, challenge_id, status)

    def approve(self, ledger: LedgerModel, response_id: str, now: datetime) -> tuple[Expect, Expect | None]:
        member_id, challenge_id, status = self.responses[response_id]
        if status != "pending":
            return Expect("invalid_state"), None
        award = self._award(ledger, member_id, self.challenges[challenge_id]["activityId"], now)
        if award.code != OK:
            return award, None
        self.responses[response_id] = (member_id, challenge_id, "approved")
        return Expect(fields={"status": "approved"}), award

    def reject(self, response_id: str) -> Expect:
        member_id, challenge_id, status = self.responses[response_id]
        if status != "pending":
            return Expect("invalid_state")
        self.responses[response_id] = (member_id, challenge_id, "rejected")
        return Expect(fields={"status": "rejected", "transactionId": None})

    @staticmethod
    def _award(ledger: LedgerModel, member_id: str, activity_id: str, now: datetime) -> Expect:
        """The award of an approval: the member can earn, the activity's cap holds; approved at once (the
        machine's challenge activities are immediate ones, so the model's grant is the service's)."""
        member, activity = ledger.members[member_id], ledger.activities[activity_id]
        if refused := ledger._refused_member(member):
            return Expect(refused)
        cap = ledger.cap_of(activity_id, now)
        if cap is not None and member.caps[cap] >= activity["maxAwardFrequency"]:
            return Expect("frequency_limit_reached")
        return ledger._grant(member_id, activity_id, activity.get("points", 1), None, now)


# --- reward grants and promo codes (issue 25, §11) ------------------------------------------------------

GRANT_REASONS = ("member_inactive", "inactive", "not_started", "ended")  # what a grant checks of `reasons`


def grant(ledger: LedgerModel, member_id: str, reward_id: str, now: datetime) -> Expect:
    """POST /members/{id}/reward-grants: the member and the reward's own state, then the stock; no points,
    no tier, no member limit (a grant counts toward none)."""
    coupon = ledger.rewards[reward_id]["fulfillment"] == "coupon"
    if reasons := [r for r in ledger.reasons(member_id, reward_id, now) if r in GRANT_REASONS]:
        return Expect(REASON_CODES[reasons[0]])
    if coupon and ledger.codes_available == 0:
        return Expect("out_of_stock")
    ledger.issued[reward_id] += 1
    ledger.codes_available -= 1 if coupon else 0
    status = "issued" if coupon else "pending"
    return Expect(fields={"status": status, "points": 0, "memberId": member_id, "transactionId": None})


@dataclass
class Promo:
    """A promotion as created: a shared code (`pool` None) or a single-use pool; its uses so far."""

    code: str
    activity_id: str
    per_member: int | None
    total: int | None
    pool: set[str] | None = None  # single-use: the codes waiting
    used: set[str] = field(default_factory=set)
    uses: int = 0
    member_uses: Counter[str] = field(default_factory=Counter)
    status: str = "active"
    start: str | None = None
    end: str | None = None


class Promos:
    """The tenant's promotions; `use` predicts POST /members/{id}/promo-codes and moves the ledger model."""

    def __init__(self) -> None:
        self.promos: dict[str, Promo] = {}

    def find(self, typed: str) -> Promo | None:
        typed = typed.upper()
        shared = self.promos.get(typed)
        if shared is not None:
            return shared if shared.pool is None else None  # a single-use promotion's name is not a code
        return next((p for p in self.promos.values() if p.pool is not None and typed in p.pool | p.used), None)

    def add_codes(self, code: str, codes: list[str]) -> Expect:
        promo = self.promos[code]
        assert promo.pool is not None
        known = set(self.promos) | {c for p in self.promos.values() if p.pool is not None for c in p.pool | p.used}
        fresh = [c for c in dict.fromkeys(c.upper() for c in codes) if c not in known]
        promo.pool |= set(fresh)
        pool = {"total": len(promo.pool) + len(promo.used), "available": len(promo.pool), "issued": len(promo.used)}
        return Expect(fields={"added": len(fresh), "skipped": len(codes) - len(fresh), "pool": pool})

    def use(self, ledger: LedgerModel, member_id: str, typed: str, now: datetime) -> tuple[Expect, Promo | None]:
        promo, moment = self.find(typed), _iso(now.replace(microsecond=0))
        if promo is None:
            return Expect("not_found"), None
        if ledger.members[member_id].status != "active":
            return Expect("invalid_state"), promo
        if promo.status != "active" or (promo.start and moment < promo.start) or (promo.end and promo.end < moment):
            return Expect("invalid_state"), promo
        if promo.pool is not None and typed.upper() in promo.used:
            return Expect("already_redeemed"), promo
        if promo.per_member is not None and promo.member_uses[member_id] >= promo.per_member:
            return Expect("limit_reached"), promo
        if promo.total is not None and promo.uses >= promo.total:
            return Expect("limit_reached"), promo
        expect = ledger.award(member_id, promo.activity_id, None, None, now)
        if expect.code == OK:
            promo.uses += 1
            promo.member_uses[member_id] += 1
            if promo.pool is not None:
                promo.pool.discard(typed.upper())
                promo.used.add(typed.upper())
        return expect, promo
