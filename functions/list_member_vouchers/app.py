"""GET /members/{memberId}/vouchers: the member's wallet, every voucher issued to the member, newest first."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.vouchers import Voucher, VoucherListQuery
from loyalty.services import vouchers


@endpoint(query=VoucherListQuery, response=Voucher, paged=True, errors=(404,))
def handler(request: Request) -> Any:
    return vouchers.list_member_vouchers(request.tenant_id, request.params["memberId"], request.query)
