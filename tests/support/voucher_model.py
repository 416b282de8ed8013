"""A pure-Python model of one offer's vouchers, its code pool and its limits: the answer each voucher call must give.

It knows the rules from the contract and the services, written out again without their code: an
offer issues vouchers while it is published and running (up to and at its endDate), to an active
member or a named customer, within its per-member and total limits (a cancelled voucher still
counts); a voucher's dates are the offer's unless narrowed inside them. Codes are generated until
the first code is preloaded, then taken from the pool until it is empty (`out_of_stock`); a code
known to the tenant already is skipped. A voucher moves once, `acquired → redeemed` (from its
activationDate up to and on its expirationDate) or `acquired → cancelled` (at any time).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

OK = "ok"


@dataclass
class VoucherModel:
    """One offer (its body as created) and everything the voucher calls change."""

    offer: dict[str, Any]
    vouchers: dict[str, dict[str, Any]] = field(default_factory=dict)  # voucherId → the voucher as it must read
    issued: Counter[str | None] = field(default_factory=Counter)  # vouchers per member (None: named customers)
    codes: set[str] = field(default_factory=set)  # every code the tenant knows: pooled, or on a voucher
    pooled: int = 0  # codes ever added to the pool
    available: int = 0  # pooled codes not yet on a voucher

    @property
    def stock(self) -> dict[str, int]:
        return {"total": self.pooled, "available": self.available, "issued": self.pooled - self.available}

    def issue(self, member: str | None, member_status: str, activation: str, expiration: str, now: str) -> str:
        """The outcome of issuing a voucher with these dates at `now` (ISO, Z), in the service's order."""
        start, end = self.offer.get("startDate"), self.offer.get("endDate")
        if self.offer.get("status") != "published" or (start and now < start) or (end and now > end):
            return "offer_not_active"
        if member is not None and member_status != "active":
            return "invalid_state"  # a suspended or erased member takes no vouchers
        if (start and activation < start[:10]) or (end and expiration > end[:10]):
            return "validation_error"
        if expiration < max(activation, now[:10]):
            return "validation_error"
        per_member, total = self.offer.get("maxRedemptionsPerMember"), self.offer.get("maxRedemptionsTotal")
        if member is not None and per_member is not None and self.issued[member] >= per_member:
            return "offer_limit_reached"
        if total is not None and sum(self.issued.values()) >= total:
            return "offer_limit_reached"
        if self.pooled and not self.available:
            return "out_of_stock"
        return OK

    def expected_voucher(
        self, member: str | None, customer: str | None, activation: str, expiration: str, now: str
    ) -> dict[str, Any]:
        """The fields of a voucher just issued (its id and code are the server's)."""
        return {
            "memberId": member,
            "customerName": customer,
            "status": "acquired",
            "acquiredAt": now,
            "redeemedAt": None,
            "cancelledAt": None,
            "activationDate": activation,
            "expirationDate": expiration,
            "orderId": None,
        }

    def issued_one(self, voucher: dict[str, Any]) -> bool:
        """Take in an issued voucher; whether its code came from the pool (else it must be a new one)."""
        pooled = self.pooled > 0
        assert (voucher["redemptionCode"] in self.codes) == pooled, (voucher, pooled)
        self.codes.add(voucher["redemptionCode"])
        self.available -= pooled
        self.issued[voucher["memberId"]] += 1
        self.vouchers[voucher["voucherId"]] = dict(voucher)
        return pooled

    def add_codes(self, codes: list[str]) -> dict[str, Any]:
        """The answer to preloading codes: one the tenant knows already, or given twice, is skipped."""
        fresh = [code for code in dict.fromkeys(codes) if code not in self.codes]
        self.codes |= set(fresh)
        self.pooled += len(fresh)
        self.available += len(fresh)
        return {"added": len(fresh), "skipped": len(codes) - len(fresh), "stock": self.stock}

    def move(self, voucher_id: str, redeem: bool, today: str) -> str:
        """The outcome of redeeming (or cancelling) a voucher on `today` (YYYY-MM-DD)."""
        voucher = self.vouchers[voucher_id]
        if voucher["status"] == "redeemed":
            return "already_redeemed"
        if voucher["status"] == "cancelled":
            return "voucher_cancelled"
        if redeem and today < voucher["activationDate"]:
            return "voucher_not_active"
        if redeem and voucher["expirationDate"] and today > voucher["expirationDate"]:
            return "voucher_expired"
        return OK

    def moved(self, voucher_id: str, redeem: bool, now: str, order_id: str) -> dict[str, Any]:
        """Apply a move the model allowed; the voucher as it must read now."""
        voucher = self.vouchers[voucher_id]
        if redeem:
            voucher.update(status="redeemed", redeemedAt=now, orderId=order_id)
        else:
            voucher.update(status="cancelled", cancelledAt=now)
        return voucher
