"""GET /promo-codes/{code}: one promotion with usesTotal and its pool's counts."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.promo_codes import PromoCode
from loyalty.services import promo_codes


@endpoint(response=PromoCode, errors=(404,))
def handler(request: Request) -> Any:
    return promo_codes.get(request.tenant_id, request.params["code"])
