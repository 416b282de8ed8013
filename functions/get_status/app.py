"""GET /status: the API answers and the caller's key is valid."""

from loyalty import VERSION
from loyalty.http import Request, endpoint
from loyalty.models.common import Status


@endpoint(response=Status, bare=True)
def handler(request: Request) -> dict[str, str]:
    return {"message": "ok", "version": VERSION}
