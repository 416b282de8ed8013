"""POST /offers/{offerId}/vouchers: issue a voucher of a published, current offer to a member or a named customer."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.vouchers import Voucher, VoucherIssue
from loyalty.services import vouchers


@endpoint(body=VoucherIssue, response=Voucher, status=201, errors=(404, 409))
def handler(request: Request) -> Any:
    return vouchers.issue(request.caller, request.params["offerId"], request.body)
