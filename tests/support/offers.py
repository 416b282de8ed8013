"""Offer helpers shared by the integration tests: publish an offer, redeem it, count the outcomes of a race."""

from collections import Counter
from typing import Any

from tests.support.local import ok


def publish(tenant: Any, code: str, **fields: Any) -> dict[str, Any]:
    """A published points offer (10 points) with `fields` on top; asserts the 201."""
    body = {"offerCode": code, "name": code, "rewardType": "points", "offerAmount": "10", "status": "published"}
    return ok(201, tenant.admin.post("/offers", {**body, **fields})).data


def redeem(tenant: Any, code: str, **fields: Any) -> Any:
    return tenant.integration.post("/offer-redemptions", {"teamId": tenant.tenant_id, "offerCode": code, **fields})


def outcome(replies: list[Any]) -> Counter[tuple[int, str | None]]:
    """How many replies had each (status, error code): the mix a race ended in."""
    return Counter((r.status, r.code) for r in replies)
