"""The route table: the single source of truth for API Gateway, the local API, OpenAPI and route-wide tests."""

from __future__ import annotations

import re
from dataclasses import dataclass

ADMIN = frozenset({"admin"})
INTEGRATION = frozenset({"admin", "integration"})
ANY = frozenset({"admin", "integration", "read"})
SCOPES = ("admin", "integration", "read")


@dataclass(frozen=True)
class Route:
    """One operation: its HTTP method and path, the function that serves it and who may call it."""

    method: str
    path: str
    function: str
    scopes: frozenset[str]
    writes: bool
    summary: str
    tag: str

    @property
    def module(self) -> str:
        """The Python module of the function's handler (functions/<function>/app.py)."""
        return f"functions.{self.function}.app"

    @property
    def arn_path(self) -> str:
        """The path as it appears in an execute-api ARN, path parameters as wildcards."""
        return re.sub(r"\{[^}]+\}", "*", self.path)

    def match(self, path: str) -> dict[str, str] | None:
        """The path parameters if the concrete path fits this route's template."""
        pattern = "^" + re.sub(r"\\\{([^}]+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path)) + "$"
        found = re.match(pattern, path)
        return found.groupdict() if found else None


def _r(method: str, path: str, function: str, scopes: frozenset[str], summary: str, tag: str) -> Route:
    return Route(method, path, function, scopes, method != "GET", summary, tag)


ROUTES: tuple[Route, ...] = (
    # 2. Platform
    _r("GET", "/status", "get_status", ANY, "Check that the API answers and the key is valid", "platform"),
    _r("GET", "/program", "get_program", ANY, "Read the program settings", "platform"),
    _r("PATCH", "/program", "update_program", ADMIN, "Update the program settings", "platform"),
    # 3. Members
    _r("POST", "/members", "create_member", INTEGRATION, "Enrol a member", "members"),
    _r("GET", "/members", "list_members", ANY, "List members, newest first", "members"),
    _r("GET", "/members/{memberId}", "get_member", ANY, "Read one member with balance and tier", "members"),
    _r("PATCH", "/members/{memberId}", "update_member", INTEGRATION, "Update a member", "members"),
    _r("DELETE", "/members/{memberId}", "erase_member", ADMIN, "Erase a member's personal data", "members"),
)


@dataclass(frozen=True)
class Job:
    """A scheduled function (EventBridge rule → Lambda), also runnable by hand through the CLI."""

    name: str
    function: str
    schedule_minutes: int
    summary: str

    @property
    def module(self) -> str:
        return f"functions.{self.function}.app"


JOBS: tuple[Job, ...] = ()

AUTHORIZER_FUNCTION = "authorizer"


def find(method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
    """The route for a request, its path parameters, and whether the path exists for another method."""
    path_known = False
    for route in ROUTES:
        params = route.match(path)
        if params is None:
            continue
        if route.method == method:
            return route, params, True
        path_known = True
    return None, {}, path_known
