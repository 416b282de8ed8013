"""POST /members/{memberId}/promo-codes: a member types a promo code and earns the activity's points."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.promo_codes import PromoCodeUse, PromoCodeUsed
from loyalty.services import promo_code_uses


@endpoint(body=PromoCodeUse, response=PromoCodeUsed, status=201, errors=(404, 409))
def handler(request: Request) -> Any:
    return promo_code_uses.use(request.caller, request.params["memberId"], request.body)
