"""PATCH /program: change the program settings (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.program import PROGRAM, PROGRAM_UPDATE
from loyalty.services import program


@endpoint(body=PROGRAM_UPDATE, response=PROGRAM, errors=(404,))
def handler(request: Request) -> Any:
    return program.update_program(request.caller, request.body)
