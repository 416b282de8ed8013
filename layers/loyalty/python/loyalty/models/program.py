"""Program settings: name, currency, expiry and pending periods, tiers, the sale activity."""

from loyalty.models.types import Currency, Id, Shape, UtcDateTime, bounded_list, client_id, integer, text

Name = text(min_len=1, max_len=200)
ExpiryDays = integer(minimum=1, maximum=3650, description="Days until points expire; null = never")
PendingDays = integer(minimum=0, maximum=365, description="Days a delayed award stays pending")
SaleActivity = client_id(description="The activity that orders earn through")
ReferrerActivity = client_id(description="The fixed activity a referral awards to the referrer; null = none")
RefereeActivity = client_id(description="The fixed activity a referral awards to the referred member; null = none")
ReferralWindowDays = integer(
    minimum=1, maximum=3650, description="Days after enrolment a member may still be referred; null = any time"
)
# §13: points.expiring_soon is sent (once per member and lot date) for lots expiring within this many days.
EXPIRY_NOTICE_DAYS = 30
ExpiryNoticeDays = integer(
    minimum=1,
    maximum=365,
    description="Days before a lot of points expires that points.expiring_soon is sent (daily job; default 30)",
)


class Tier(Shape):
    tierId: Id
    name: text(min_len=1, max_len=100)
    threshold: integer(minimum=0, maximum=10**12, description="Qualified lifetime points")


Tiers = bounded_list(Tier, max_items=20, description="Tiers by ascending threshold")


class ProgramUpdate(Shape):
    name: Name = None
    currency: Currency = None
    pointsExpiryDays: ExpiryDays | None = None
    pendingDays: PendingDays = None
    tiers: Tiers = None
    saleActivityId: SaleActivity | None = None
    referrerActivityId: ReferrerActivity | None = None
    refereeActivityId: RefereeActivity | None = None
    referralWindowDays: ReferralWindowDays | None = None
    expiryNoticeDays: ExpiryNoticeDays = None


class Program(Shape):
    name: Name
    currency: Currency
    pointsExpiryDays: ExpiryDays | None
    pendingDays: PendingDays
    tiers: Tiers
    saleActivityId: SaleActivity | None
    referrerActivityId: ReferrerActivity | None
    refereeActivityId: RefereeActivity | None
    referralWindowDays: ReferralWindowDays | None
    expiryNoticeDays: ExpiryNoticeDays
    updatedAt: UtcDateTime
