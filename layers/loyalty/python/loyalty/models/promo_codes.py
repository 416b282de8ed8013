"""Promo-code shapes (contract section 11): promotions, their single-use pools, and a member's use of a code."""

from loyalty.models.common import Paging
from loyalty.models.types import (
    CLIENT_ID,
    Count,
    Flag,
    Id,
    Shape,
    UtcDateTime,
    bounded_list,
    integer,
    one_of,
    text,
    utc_datetime,
)

PROMO_STATUSES = ("active", "disabled")
# A promotion's code is typed by members (shared codes) and is the promotion's id in paths, so it is a client
# id's characters; case-insensitive like every code of the API (stored upper-case, loyalty.codes).
PromoCodeName = text(
    min_len=1,
    max_len=64,
    pattern=CLIENT_ID,
    description="The promotion's code: the code members type (shared), or a name (singleUse); case-insensitive",
    example="SUMMER25",
)
# A code of a single-use pool, or a code a member types: printable, no spaces (as coupon codes), case-insensitive.
TypedCode = text(
    min_len=1,
    max_len=128,
    pattern=r"^[\x21-\x7e]+$",
    description="Printable, no spaces; case-insensitive (stored upper-case)",
    example="SUMMER25",
)
MaxTotal = integer(minimum=1, maximum=10**9, description="Uses of the promotion in all (null: no limit)")
MaxPerMember = integer(minimum=1, maximum=10**6, description="Uses per member (default 1; null: no limit)")
Start = utc_datetime(description="Usable from (null: at once)")
End = utc_datetime(description="Usable until (null: no end); after startDate")
Status = one_of(*PROMO_STATUSES, description="disabled: every use is refused (409 invalid_state)")


class PromoCodeUpdate(Shape):
    status: Status = None
    startDate: Start | None = None
    endDate: End | None = None


class PromoCodeCreate(Shape):
    code: PromoCodeName
    activityId: Id
    singleUse: Flag = None
    maxUsesTotal: MaxTotal | None = None
    maxUsesPerMember: MaxPerMember | None = None
    startDate: Start | None = None
    endDate: End | None = None


class PromoPool(Shape):
    total: Count
    available: Count
    issued: Count


class PromoCode(Shape):
    code: PromoCodeName
    activityId: Id
    singleUse: Flag
    maxUsesTotal: MaxTotal | None
    maxUsesPerMember: MaxPerMember | None
    startDate: Start | None
    endDate: End | None
    status: Status
    usesTotal: integer(minimum=0, description="Uses so far, every member's")
    pool: PromoPool | None
    createdAt: UtcDateTime
    updatedAt: UtcDateTime


class PromoCodeListQuery(Paging):
    status: Status = None


class PromoCodesAdd(Shape):
    codes: bounded_list(TypedCode, min_items=1, max_items=1000)


class PromoCodesAdded(Shape):
    added: Count
    skipped: Count
    pool: PromoPool


class PromoCodeUse(Shape):
    code: TypedCode


class PromoCodeUsed(Shape):
    promoCode: PromoCodeName
    code: TypedCode
    memberId: text()
    transactionId: text()
    points: integer(minimum=1)
