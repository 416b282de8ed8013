"""Member shapes: profile, status, tier, balance."""

from loyalty.models.common import Paging
from loyalty.models.types import (
    Count,
    Date,
    Email,
    Id,
    Phone,
    Shape,
    Text,
    Url,
    UtcDateTime,
    client_id,
    one_of,
    text,
)

STATUSES = ("active", "suspended", "erased")
ExternalId = client_id(description="The merchant's own user id: unique and exact (case-sensitive)")
Name = text(max_len=100)
Gender = text(max_len=30)


class _Profile(Shape):
    externalId: ExternalId | None = None
    firstName: Name | None = None
    lastName: Name | None = None
    gender: Gender | None = None
    birthdate: Date | None = None
    phone: Phone | None = None
    profileImageUrl: Url | None = None


class _Email(Shape):
    email: Email


class MemberCreate(_Profile, _Email):
    pass


class _UpdateEmail(Shape):
    email: Email = None


class MemberUpdate(_Profile, _UpdateEmail):
    status: one_of("active", "suspended") = None
    tierOverride: client_id(description="Admin only: a tierId of the program, or null") | None = None


class TierRef(Shape):
    tierId: Id
    name: Text


class Balance(Shape):
    available: Count
    pending: Count
    redeemed: Count
    expired: Count
    lifetime: Count
    qualified: Count


class ReferredBy(Shape):
    memberId: Text
    at: UtcDateTime


class Member(Shape):
    memberId: Text
    email: Text | None
    externalId: ExternalId | None
    firstName: Name | None
    lastName: Name | None
    gender: Gender | None
    birthdate: Date | None
    phone: Phone | None
    profileImageUrl: Url | None
    status: one_of(*STATUSES, description="erased: personal data erased; takes no part")
    tier: TierRef | None
    tierOverride: Text | None
    balance: Balance
    referralCode: Text
    referredBy: ReferredBy | None
    referralCount: Count
    createdAt: UtcDateTime
    updatedAt: UtcDateTime
    erasedAt: UtcDateTime | None = None


class MemberListQuery(Paging):
    email: Email = None
    externalId: Id = None
    createdFrom: UtcDateTime = None
    createdTo: UtcDateTime = None
