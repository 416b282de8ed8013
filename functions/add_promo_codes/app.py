"""POST /promo-codes/{code}/codes: add up to 1,000 codes to a single-use promotion's pool (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.promo_codes import PromoCodesAdd, PromoCodesAdded
from loyalty.services import promo_codes


@endpoint(body=PromoCodesAdd, response=PromoCodesAdded, errors=(404, 409))
def handler(request: Request) -> Any:
    return promo_codes.add_codes(request.caller, request.params["code"], request.body)
