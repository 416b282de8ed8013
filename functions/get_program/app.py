"""GET /program: the tenant's program settings."""

from loyalty.http import Request, Response, endpoint, ok
from loyalty.models.program import PROGRAM
from loyalty.services import program


@endpoint(response=PROGRAM)
def handler(request: Request) -> Response:
    return ok(program.get_program(request.tenant_id))
