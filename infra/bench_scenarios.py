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
            route, _, query = path.partition("?")
            return gateway.handle(
                method, f"/Production{route}", query, {**headers, **(extra or {})}, body.encode()
            ).status

        return run

    import json

    def seed_members() -> str:
        member_id = ""
        for i in range(members):
            answer = gateway.handle(
                "POST", "/Production/members", "", headers, json.dumps({"email": f"m{i}@x.io"}).encode()
            )
            member_id = json.loads(answer.body)["data"]["memberId"]
        return member_id

    counting, counter.active = counter.active, False
    member_id = seed_members()
    counter.active = counting
    enrol = json.dumps({"email": "new@x.io", "externalId": "ext-new"})
    replay = {"Idempotency-Key": "bench-enrol"}

    yield ("GET /status", call("GET", "/status"))
    yield ("GET /program (cold container)", call("GET", "/program"))
    yield ("GET /program (settings cached)", call("GET", "/program", cold=False))
    yield ("PATCH /program", call("PATCH", "/program", '{"pointsExpiryDays": 365}'))
    yield ("POST /members", call("POST", "/members", enrol, cold=False))
    yield ("POST /members with Idempotency-Key", call("POST", "/members", enrol.replace("new", "idem"), replay, False))
    yield ("POST /members replay", call("POST", "/members", enrol.replace("new", "idem"), replay, False))
    yield ("GET /members/{id}", call("GET", f"/members/{member_id}", cold=False))
    yield ("GET /members (page of 25)", call("GET", "/members", cold=False))
    yield ("GET /members?email=", call("GET", "/members?email=m1@x.io", cold=False))
    yield ("PATCH /members/{id}", call("PATCH", f"/members/{member_id}", '{"firstName": "Bo"}', cold=False))
    yield ("DELETE /members/{id}", call("DELETE", f"/members/{member_id}", cold=False))
