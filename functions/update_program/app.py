"""PATCH /program: change the program settings (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.program import Program, ProgramUpdate
from loyalty.services import program


@endpoint(body=ProgramUpdate, response=Program, errors=(404,))
def handler(request: Request) -> Any:
    return program.update_program(request.caller, request.body)
