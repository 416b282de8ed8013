"""Referral shapes: a referral by code, what it records, a referrer's list."""

from loyalty.models.common import Paging
from loyalty.models.types import Shape, Text, UtcDateTime, bounded_list, text

ReferralCode = text(
    min_len=4,
    max_len=64,
    pattern=r"^[A-Za-z0-9]{4,64}$",
    description="The referrer's referralCode (letters and digits; case-insensitive)",
    example="7KQ2XW9MHT",
)


class ReferralCreate(Shape):
    referralCode: ReferralCode


class Referral(Shape):
    referrerId: text(description="The member whose referral code was used")
    refereeId: text(description="The member who was referred")
    at: UtcDateTime
    transactionIds: bounded_list(
        Text, max_items=2, description="The award transactions the referral made (referrer's, then referee's)"
    )


class ReferralListQuery(Paging):
    pass
