"""Referrals: the referral-code guard of each member, and each referral's entry under its referrer.

- Code guard `T#<t>#REFCODE#<code>` / GUARD → memberId: a referral code names one member of the program
  (codes are unique per tenant). Written with the member (services.members.create_member), deleted by its
  erasure (an erased member's code is unknown: 404), given to members enrolled before referrals existed by
  `loyalty backfill-referral-codes` (idempotent).
- Referral entry `T#<t>#M#<referrerId>` / `REFERRAL#<ulid>`: one per member the referrer referred, in the
  referrer's own partition (a ULID of the moment: newest first is one Query of the partition, strongly
  consistent). Only referrals by that member write its partition, so no partition is written by every member
  of a tenant. The referee's side is its member item (`referredBy`), written in the same transaction.
"""

from __future__ import annotations

from typing import Any, TypedDict

from loyalty.repository import keys, members, store

GUARD, ENTRY = "GUARD", "REFERRAL"


class ReferralRecord(TypedDict):
    """`T#<t>#M#<referrerId>` / `REFERRAL#<referralId>`: who referred whom, when, and the award transactions."""

    referralId: str
    referrerId: str
    refereeId: str
    at: str
    transactionIds: list[str]


def canonical(code: str) -> str:
    """A referral code as its guard holds it: codes are made of capitals and digits, read case-insensitively."""
    return code.strip().upper()


def code_guard(tenant_id: str, code: str) -> store.Key:
    return store.key(f"{keys.tenant(tenant_id)}#REFCODE#{canonical(code)}", GUARD)


def claim_code(tenant_id: str, code: str, member_id: str) -> store.TxItem:
    """The guard of a new code: fails if the code is another member's already."""
    return store.put({**code_guard(tenant_id, code), "memberId": member_id}, condition=store.ABSENT)


def release_code(tenant_id: str, code: str, member_id: str) -> store.TxItem:
    """Delete a member's code guard (erasure), on condition that it is still the member's: the caller reads the
    holder first and leaves a guard that names another member alone (two old random codes that collided)."""
    return store.delete(
        code_guard(tenant_id, code),
        condition=f"{store.ABSENT} OR memberId = :m",
        values={":m": member_id},
    )


def holder(tenant_id: str, code: str) -> str | None:
    """The member holding a code, from its guard (strongly consistent)."""
    found = store.get(code_guard(tenant_id, code))
    return str(found["memberId"]) if found else None


def entry_key(tenant_id: str, referrer_id: str, referral_id: str) -> store.Key[ReferralRecord]:
    return store.key(members.partition(tenant_id, referrer_id), f"{ENTRY}#{referral_id}")


def put(tenant_id: str, referral: ReferralRecord) -> store.TxItem:
    return store.put_new({**entry_key(tenant_id, referral["referrerId"], referral["referralId"]), **referral})


def _of(tenant_id: str, referrer_id: str) -> store.Collection[ReferralRecord]:
    return store.Collection(members.partition(tenant_id, referrer_id))


def page(
    tenant_id: str, referrer_id: str, limit: int, start: dict[str, Any] | None
) -> tuple[list[ReferralRecord], dict[str, Any] | None]:
    """The referrer's referrals, newest first: one Query of its partition."""
    return _of(tenant_id, referrer_id).query(
        sort="begins_with(#s, :entry)", values={":entry": f"{ENTRY}#"}, newest_first=True, limit=limit, start=start
    )


def entries(tenant_id: str, referrer_id: str) -> list[ReferralRecord]:
    """Every referral of a referrer (the checker), strongly consistent."""
    return _of(tenant_id, referrer_id).all(sort="begins_with(#s, :entry)", values={":entry": f"{ENTRY}#"})
