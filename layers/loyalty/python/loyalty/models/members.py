"""Member shapes: profile, status, tier, balance."""

from __future__ import annotations

from loyalty.models.common import PAGING
from loyalty.schema import Date, DateTime, Email, Id, Int, Object, Str

_PROFILE = {
    "externalId": Id(nullable=True, description="The merchant's own user id: unique and exact (case-sensitive)"),
    "firstName": Str(max_len=100, nullable=True),
    "lastName": Str(max_len=100, nullable=True),
    "gender": Str(max_len=30, nullable=True),
    "birthdate": Date(nullable=True),
    "phone": Str(max_len=32, pattern=r"^\+?[0-9 ().-]{3,32}$", nullable=True),
    "profileImageUrl": Str(max_len=2048, pattern=r"^https?://\S+$", nullable=True),
}

STATUSES = ["active", "suspended", "erased"]
MEMBER_CREATE = Object("MemberCreate", {"email": Email(required=True), **_PROFILE})

MEMBER_UPDATE = Object(
    "MemberUpdate",
    {
        "email": Email(),
        **_PROFILE,
        "status": Str(enum=["active", "suspended"]),
        "tierOverride": Id(nullable=True, description="Admin only: a tierId of the program, or null"),
    },
)

TIER_REF = Object("TierRef", {"tierId": Id(required=True), "name": Str(required=True)}, nullable=True, required=True)

BALANCE = Object(
    "Balance",
    {
        name: Int(required=True, minimum=0)
        for name in ("available", "pending", "redeemed", "expired", "lifetime", "qualified")
    },
    required=True,
)

MEMBER = Object(
    "Member",
    {
        "memberId": Str(required=True),
        "email": Str(required=True, nullable=True),
        **Object(None, _PROFILE).all_required("_").fields,
        "status": Str(required=True, enum=STATUSES, description="erased: personal data erased; takes no part"),
        "tier": TIER_REF,
        "tierOverride": Str(required=True, nullable=True),
        "balance": BALANCE,
        "referralCode": Str(required=True),
        "createdAt": DateTime(required=True),
        "updatedAt": DateTime(required=True),
        "erasedAt": DateTime(nullable=True),
    },
)

MEMBER_LIST_QUERY = Object(
    None,
    {
        **PAGING,
        "email": Email(),
        "externalId": Id(),
        "createdFrom": DateTime(),
        "createdTo": DateTime(),
    },
)
