"""GET /program: the tenant's program settings."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.program import PROGRAM
from loyalty.services import program


@endpoint(response=PROGRAM)
def handler(request: Request) -> Any:
    return program.get_program(request.tenant_id)
