"""GET /program: the tenant's program settings."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.program import Program
from loyalty.services import program


@endpoint(response=Program)
def handler(request: Request) -> Any:
    return program.get_program(request.tenant_id)
