"""GET /promo-codes: the program's promotions by code, with their uses and pools."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.promo_codes import PromoCode, PromoCodeListQuery
from loyalty.services import promo_codes


@endpoint(query=PromoCodeListQuery, response=PromoCode, paged=True)
def handler(request: Request) -> Any:
    return promo_codes.list_promos(request.tenant_id, request.query)
