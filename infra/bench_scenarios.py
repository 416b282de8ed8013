"""Representative requests for `make bench`, each run through the local gateway on a seeded table."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

Scenario = tuple[str, Callable[[], int]]


class Pausable(Protocol):
    active: bool


def _gateway_without_counting_the_authorizer(counter: Pausable) -> Any:
    """A gateway whose authorizer lookups are not counted: API Gateway caches them for 300 s."""
    from infra.local.gateway import Gateway

    gateway = Gateway()
    authorizer = gateway._authorizer

    def uncounted(event: dict[str, Any], context: Any) -> dict[str, Any]:
        was, counter.active = counter.active, False
        try:
            return authorizer(event, context)
        finally:
            counter.active = was

    gateway._authorizer = uncounted
    return gateway


def scenarios(members: int, counter: Pausable) -> Iterator[Scenario]:
    """Seed a tenant (and `members` members once members exist), then yield one scenario per operation."""
    from loyalty.services import program, tenants

    tenants.create_tenant("bench", "Bench")
    key = tenants.issue_key("bench", ["admin"])["key"]
    gateway = _gateway_without_counting_the_authorizer(counter)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def call(
        method: str, path: str, body: str = "", extra: dict[str, str] | None = None, cold: bool = True
    ) -> Callable[[], int]:
        def run() -> int:
            if cold:
                program.forget_cache()
            return gateway.handle(method, f"/Production{path}", "", {**headers, **(extra or {})}, body.encode()).status

        return run

    yield ("GET /status", call("GET", "/status"))
    yield ("GET /program (cold container)", call("GET", "/program"))
    yield ("GET /program (settings cached)", call("GET", "/program", cold=False))
    yield ("PATCH /program", call("PATCH", "/program", '{"pointsExpiryDays": 365}'))
