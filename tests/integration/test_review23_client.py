"""Findings of the second issue 23 review: defects found by driving the local API from outside as a careless
or hostile client would (curl-style requests, two tenants, concurrent calls, restarts), each fixed at its root;
each test failed before its fix."""

from __future__ import annotations

from tests.support.ledger import activity, award, member


def test_eligible_false_lists_only_the_rewards_the_member_may_not_redeem(tenant):
    """`GET /members/{id}/rewards?eligible=false` was accepted and ignored: it answered every reward, the
    eligible ones included, so a client asking "what can't this member redeem yet" got rewards marked
    `eligible: true`. A boolean filter filters both ways, as `GET /rewards?isActive=false` does."""
    activity(tenant.admin, "grant", points=1)
    m = member(tenant.integration, "half@example.com")
    assert award(tenant.integration, m, "grant", points=50).status == 201
    for reward_id, cost in (("cheap", 10), ("dear", 500)):
        body = {"rewardId": reward_id, "name": reward_id, "pointsCost": cost, "fulfillment": "manual", "isActive": True}
        assert tenant.admin.post("/rewards", body).status == 201
    verdicts = {}
    for query in ("", "?eligible=true", "?eligible=false"):
        reply = tenant.read.get(f"/members/{m}/rewards{query}")
        assert reply.status == 200, reply.text
        verdicts[query] = {r["rewardId"]: r["eligible"] for r in reply.data}
    assert verdicts[""] == {"cheap": True, "dear": False}
    assert verdicts["?eligible=true"] == {"cheap": True}
    assert verdicts["?eligible=false"] == {"dear": False}
