"""PATCH /promo-codes/{code}: disable (a leaked code) or enable a promotion, or move its dates (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.promo_codes import PromoCode, PromoCodeUpdate
from loyalty.services import promo_codes


@endpoint(body=PromoCodeUpdate, response=PromoCode, errors=(404,))
def handler(request: Request) -> Any:
    return promo_codes.update(request.caller, request.params["code"], request.body)
