"""Helpers for ledger tests over the local API: activities, members, awards, and the checker."""

from __future__ import annotations

from typing import Any

from loyalty.services import checker


def activity(client: Any, activity_id: str, **fields: Any) -> dict[str, Any]:
    reply = client.post("/activities", {"activityId": activity_id, "name": activity_id.title(), **fields})
    assert reply.status == 201, reply.text
    return reply.data


def member(client: Any, email: str) -> str:
    reply = client.post("/members", {"email": email})
    assert reply.status == 201, reply.text
    return reply.data["memberId"]


def award(
    client: Any, member_id: str, activity_id: str, *, headers: dict[str, str] | None = None, **fields: Any
) -> Any:
    return client.post(f"/members/{member_id}/awards", {"activityId": activity_id, **fields}, headers=headers)


def balance(client: Any, member_id: str) -> dict[str, int]:
    reply = client.get(f"/members/{member_id}")
    assert reply.status == 200, reply.text
    return reply.data["balance"]


def assert_ledger_clean(tenant_id: str) -> None:
    problems = checker.check([tenant_id])["problems"]
    assert problems == [], problems


def outcome(reply: Any) -> int | str | None:
    """A reply in one comparable value: its status when it succeeded, else its error code."""
    return reply.status if reply.status < 400 else reply.code
