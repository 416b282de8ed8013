"""POST /imports: start a bulk import (§14); the answer holds the presigned URL to PUT the file to (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.import_jobs import ImportCreate, ImportCreated
from loyalty.services import import_jobs


@endpoint(body=ImportCreate, response=ImportCreated, status=201, errors=(404, 409))
def handler(request: Request) -> Any:
    return import_jobs.create_import(request.caller, request.body)
