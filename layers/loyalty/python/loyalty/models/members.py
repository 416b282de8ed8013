"""Member shapes: profile, status, tier, balance."""

from loyalty.models.common import Paging
from loyalty.models.segments import Tags
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
    calendar_date,
    client_id,
    email,
    one_of,
    phone,
    text,
)

STATUSES = ("active", "suspended", "erased")
ExternalId = client_id(description="The merchant's own user id: unique and exact (case-sensitive)")
CardId = client_id(
    description="The member's loyalty-card number: unique and exact (case-sensitive)", example="CARD-0042"
)
UniqueEmail = email(description="Unique in the program, case-insensitive")
UniquePhone = phone(description="E.164 (+14155550123; %2B for + in a query string): unique in the program")
# At least one of these identifies a member (POST /members; a PATCH may not clear the last one).
IDENTIFIERS = ("email", "externalId", "phone", "cardId")
Name = text(max_len=100)
Birthdate = calendar_date(past=True, description="Not in the future", example="1990-05-05")
Gender = text(max_len=30)


class _Profile(Shape):
    externalId: ExternalId | None = None
    firstName: Name | None = None
    lastName: Name | None = None
    gender: Gender | None = None
    birthdate: Birthdate | None = None
    phone: UniquePhone | None = None
    cardId: CardId | None = None
    profileImageUrl: Url | None = None
    tags: Tags = None


class _Email(Shape):
    email: UniqueEmail | None = None


class MemberCreate(_Profile, _Email):
    """At least one of email, externalId, phone and cardId (else 400 validation_error); each unique."""


class _UpdateEmail(Shape):
    email: UniqueEmail | None = None


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
    cardId: CardId | None
    profileImageUrl: Url | None
    status: one_of(*STATUSES, description="erased: personal data erased; takes no part")
    tier: TierRef | None
    tierOverride: Text | None
    balance: Balance
    referralCode: Text
    referredBy: ReferredBy | None
    referralCount: Count
    tags: Tags
    createdAt: UtcDateTime
    updatedAt: UtcDateTime
    erasedAt: UtcDateTime | None = None


SEARCH_MIN, SEARCH_MAX = 2, 64
LookedUpPhone = phone(description="The member holding this phone (E.164; send + as %2B)")


class MemberListQuery(Paging):
    email: Email = None
    externalId: Id = None
    phone: LookedUpPhone = None
    cardId: client_id(description="The member holding this loyalty-card number (exact)", example="CARD-0042") = None
    q: text(
        min_len=SEARCH_MIN,
        max_len=SEARCH_MAX,
        description="Members whose email, last name, first name, externalId, phone or cardId starts with this "
        "(2-64 characters, case-insensitive), by the matched value then memberId; not with other filters",
        example="ana",
    ) = None
    createdFrom: UtcDateTime = None
    createdTo: UtcDateTime = None
