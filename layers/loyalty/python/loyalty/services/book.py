"""A member's points book: balance moves, lots with expiry, and the writes that commit them.

Points live in lots. Each approved award (or refund) adds a lot that expires on a date; lots are
kept in expiry order on a cumulative axis: a lot covers [cumStart, cumEnd) of the member's
`lotTotal`. Spending and expiry only advance the member's `consumed` position along that axis, so
the lots that expire first are drawn first and a spend writes the member item alone, however many
lots the member holds. `available = lotTotal - consumed` at all times.

A new lot never expires before the member's last one (its expiry is the later of its own and the
last lot's), which keeps the axis in expiry order; see docs/decisions.md.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from loyalty import clock
from loyalty.errors import Conflict
from loyalty.repository import lots as lots_db
from loyalty.repository import members as members_db
from loyalty.repository import store

if TYPE_CHECKING:
    from loyalty.repository.records import BalanceRecord, LotRecord, MemberRecord

NEVER = "9999-12-31"  # the expiry date of points that do not expire


def unspent(lot: LotRecord, consumed: int) -> int:
    """What is left of a lot once the member's `consumed` position is taken into account."""
    return max(0, lot["cumEnd"] - max(lot["cumStart"], consumed))


def expiry_date(now: datetime, expiry_days: int | None) -> str:
    """The last day on which points earned now can be spent."""
    return NEVER if expiry_days is None else clock.day(now + timedelta(days=expiry_days))


def expires_at(expires_on: str) -> str | None:
    return None if expires_on == NEVER else f"{expires_on}T23:59:59Z"


class Book:
    """One member's balance during one request: move points, then `writes()` commits all or nothing."""

    def __init__(self, tenant_id: str, member: MemberRecord) -> None:
        self.tenant_id = tenant_id
        self.before = member
        self.member = copy.deepcopy(store.plain(member))
        self.member.setdefault("lastLotExpiry", None)
        self._lot: store.TxItem | None = None

    @property
    def balance(self) -> BalanceRecord:
        return self.member["balance"]

    @property
    def member_id(self) -> str:
        return self.member["memberId"]

    def require_active(self) -> None:
        self.require_not_erased()
        if self.member["status"] != "active":
            raise Conflict("invalid_state", "The member is suspended: it can't earn or spend points.")

    def require_not_erased(self) -> None:
        """An erased member takes no further part: nothing is credited to it or spent by it."""
        if self.member.get("erasedAt"):
            raise Conflict("invalid_state", "The member was erased: it can't earn, spend or receive points.")

    def add_pending(self, points: int) -> None:
        self.require_not_erased()
        self.balance["pending"] += points

    def drop_pending(self, points: int) -> None:
        self.balance["pending"] -= points

    def earn(self, points: int, *, now: datetime, expiry_days: int | None, qualified: bool) -> str:
        """Approved points: available, lifetime and (if qualified) tier progress; returns the lot's expiry date."""
        self.balance["lifetime"] += points
        if qualified:
            self.balance["qualified"] += points
        return self.credit(points, now=now, expiry_days=expiry_days)

    def credit(self, points: int, *, now: datetime, expiry_days: int | None) -> str:
        """Add points to available as a lot (awards and refunds).

        The points join the member's last lot when it expires on the same day, else start a new one.
        One write does both, creating the lot where the member's record says it is if it is gone,
        so a credit never depends on what the scheduled jobs have removed. A last lot whose day has
        passed is never extended: the expiry job takes it, and new points must not go with it.
        """
        assert self._lot is None, "one lot per request"
        self.require_not_erased()
        last = self.member["lastLotExpiry"]
        if last is not None and last < clock.day(now):
            last = None
        expires_on = max(expiry_date(now, expiry_days), last or "")
        start, end = self.member["lotTotal"], self.member["lotTotal"] + points
        self._lot = lots_db.add(self.tenant_id, self.member_id, expires_on, start, points, expires=expires_on != NEVER)
        self.member["lotTotal"] = end
        self.member["lastLotExpiry"] = expires_on
        self.balance["available"] += points
        return expires_on

    def spend(self, points: int) -> None:
        """Draw points from the lots that expire first; never below zero."""
        self.require_not_erased()
        if points > self.balance["available"]:
            raise Conflict("insufficient_points", f"The member has {self.balance['available']} points available.")
        self._consume(points)

    def take_back(self, points: int) -> tuple[int, int]:
        """Take up to `points` from available: (taken, shortfall because they were spent already)."""
        taken = min(points, self.balance["available"])
        self._consume(taken)
        return taken, points - taken

    def expire_through(self, lot: LotRecord) -> int:
        """Expire what is unspent up to the end of a due lot (earlier lots are due as well)."""
        points = max(0, lot["cumEnd"] - self.member["consumed"])
        self._consume(points)
        self.balance["expired"] += points
        if lot["expiresOn"] == self.member["lastLotExpiry"]:
            self.member["lastLotExpiry"] = None  # the job deletes this lot: the record must not name it
        return points

    def _consume(self, points: int) -> None:
        self.member["consumed"] += points
        self.balance["available"] -= points

    def unearn(self, points: int, *, qualified: bool) -> None:
        """Approved points an order return takes back no longer count as earned."""
        self.balance["lifetime"] -= points
        if qualified:
            self.balance["qualified"] -= points

    def after(self) -> dict[str, int]:
        return {"available": self.balance["available"], "pending": self.balance["pending"]}

    def writes(self, now: datetime) -> list[store.TxItem]:
        """The member put (on condition its version is unchanged) and the lot write, if any."""
        self.member["updatedAt"] = clock.iso(now)
        self.member["version"] = self.before["version"] + 1
        items = [store.put_versioned(members_db.item(self.tenant_id, self.member), self.before["version"])]
        return items + ([self._lot] if self._lot else [])
