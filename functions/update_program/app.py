"""PATCH /program: change the program settings (admin)."""

from loyalty.http import Request, Response, endpoint
from loyalty.models.program import PROGRAM, PROGRAM_UPDATE
from loyalty.services import program


@endpoint(body=PROGRAM_UPDATE, response=PROGRAM, errors=(404,))
def handler(request: Request) -> Response:
    return program.update_program(request)
