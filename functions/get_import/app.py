"""GET /imports/{importId}: an import's status, row counts and, once completed, its report link (admin)."""

from typing import Any

from loyalty.http import Request, endpoint
from loyalty.models.import_jobs import ImportJob
from loyalty.services import import_jobs


@endpoint(response=ImportJob, errors=(404,))
def handler(request: Request) -> Any:
    return import_jobs.get_import(request.tenant_id, request.params["importId"])
