"""GET /status: the API answers and the caller's key is valid."""

from loyalty import VERSION
from loyalty.http import Request, Response, endpoint, render
from loyalty.models.common import STATUS


@endpoint(response=STATUS, bare=True)
def handler(request: Request) -> Response:
    return Response(200, render({"message": "ok", "version": VERSION}))
