"""POST /promo-codes: create a promotion, a shared code or a single-use pool (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.promo_codes import PromoCode, PromoCodeCreate
from loyalty.services import promo_codes


@endpoint(body=PromoCodeCreate, response=PromoCode, status=201, errors=(409,))
def handler(request: Request) -> Any:
    return promo_codes.create(request.caller, request.body)
