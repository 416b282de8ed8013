"""A tenant's list shard counts over the local API: a walk across a raise serves every item once, the jobs
walk every shard ever written, and a count only grows."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from loyalty.errors import ValidationFailed
from loyalty.repository import ledger as ledger_db
from loyalty.repository import lots as lots_db
from loyalty.repository import members as members_db
from loyalty.repository import offer_redemptions as offer_redemptions_db
from loyalty.repository import sharded
from loyalty.services import jobs, tenants
from loyalty.shard_counts import COUNTERS_DEFAULT, FAMILIES, SETTLE_SECONDS

from tests.support.ledger import activity, assert_ledger_clean, award, balance, member
from tests.support.list_shards import occupied, raise_and_settle, walk
from tests.support.local import ok
from tests.support.vouchers import offer
from tools import cli
from tools.exits import Exit


def _member(tenant: Any, i: int) -> str:
    return member(tenant.integration, f"walk{i}@example.com")


def _transaction(tenant: Any, i: int) -> str:
    """An award to a new member (a member's entries share a shard: each its own member to spread them)."""
    reply = ok(201, award(tenant.integration, _member(tenant, i), "visit"))
    return str(reply.data["transactionId"])


def _offer_redemption(tenant: Any, i: int) -> str:
    body = {
        "teamId": tenant.tenant_id,
        "offerCode": "WALK",
        "memberId": _member(tenant, i),
        "orderId": f"o-{i}",
        "value": "10.00",
    }
    return str(ok(201, tenant.integration.post("/offer-redemptions", body)).data["id"])


# Each program-wide list: its path, the id field of its items, one new item, and its write-sharded list.
LISTS: dict[str, tuple[str, str, Callable[[Any, int], str], Callable[[str], sharded.ShardedCollection]]] = {
    "members": ("/members", "memberId", _member, members_db.by_creation),
    "transactions": ("/transactions", "transactionId", _transaction, ledger_db.of_program),
    "offer redemptions": ("/offer-redemptions", "id", _offer_redemption, offer_redemptions_db.of_program),
}


@pytest.mark.parametrize("kind", LISTS)
def test_a_walk_across_a_raise_serves_every_item_once(tenant, frozen, kind):
    """Half a walk at the default count (1 shard), a raise to 32 and new items spread over the shards, then
    the rest of the walk with the token from before: exactly the items there were, newest first, each once
    (the new ones are newer than the walk, as on one shard). A new walk lists old and new, each once."""
    path, field, make, listing = LISTS[kind]
    activity(tenant.admin, "visit", points=10)
    offer(tenant.admin, offerCode="WALK")
    before = [make(tenant, i) for i in range(23)]
    seen, token = walk(tenant.read, path, field, limit=5, pages=2)
    assert token and occupied(listing(tenant.tenant_id)) == {0}
    raise_and_settle(tenant.tenant_id, 32, frozen)
    after = [make(tenant, i) for i in range(23, 60)]
    assert len(occupied(listing(tenant.tenant_id))) > 1  # the new items spread; the old ones stayed in shard 0
    rest, _ = walk(tenant.read, path, field, limit=5, token=token)
    assert seen + rest == list(reversed(before))
    everything, _ = walk(tenant.read, path, field, limit=7)
    assert everything == list(reversed(before + after))


def test_the_jobs_settle_the_due_entries_written_before_and_after_a_raise(tenant, frozen):
    """Expiring lots and delayed awards of members enrolled at 1 shard and at 32: both jobs find them all."""
    ok(200, tenant.admin.patch("/program", {"pointsExpiryDays": 10, "pendingDays": 3}))
    activity(tenant.admin, "visit", points=10)
    activity(tenant.admin, "later", points=7, approvalMethod="delayed")

    def enrol(i: int) -> str:
        m = member(tenant.integration, f"due{i}@example.com")
        ok(201, award(tenant.integration, m, "visit"))
        ok(201, award(tenant.integration, m, "later"))
        return m

    people = [enrol(i) for i in range(4)]
    raise_and_settle(tenant.tenant_id, 32, frozen)
    people += [enrol(i) for i in range(4, 40)]
    frozen.advance(days=12)
    assert jobs.approve_delayed(tenant_ids=[tenant.tenant_id]) == {"approved": 40, "complete": True}
    assert jobs.expire_points(tenant_ids=[tenant.tenant_id]) == {"lots": 40, "points": 400, "complete": True}
    assert {balance(tenant.read, m)["expired"] for m in people} == {10}
    assert_ledger_clean(tenant.tenant_id)


def test_a_count_only_grows_and_the_operator_sees_it(tenant, frozen):
    """Raising some families leaves the others; lowering one, or a count out of range, is a 400."""
    raised = tenants.raise_list_shards(tenant.tenant_id, 8, ["members", "transactions"])["listShards"]
    assert raised["members"]["count"] == 8 and raised["redemptions"] == {"count": 1}
    assert raised["members"]["writes"] == 1  # until every container has seen the raise
    frozen.advance(seconds=3600)
    shown = tenants.show_tenant(tenant.tenant_id)["listShards"]
    assert shown["members"] == shown["transactions"] == {"count": 8} and shown["due"] == {"count": 1}
    for count, families in ((4, ["members"]), (4, None), (0, None), (33, None), (16, ["nope"])):
        with pytest.raises(ValidationFailed):
            tenants.raise_list_shards(tenant.tenant_id, count, families)
    assert tenants.show_tenant(tenant.tenant_id)["listShards"] == shown
    assert tenants.raise_list_shards(tenant.tenant_id, 8, ["members"])["listShards"] == shown  # no change


def test_the_operator_raises_and_reads_the_counts_with_the_cli(local_api, tenant, capsys, monkeypatch):
    """`loyalty tenant shards T --lists N --counters N` sets, `loyalty tenant show T` reads; lowering a list
    count, a count out of bounds or no count at all is one error line."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", local_api.engine.endpoint)
    capsys.readouterr()
    cli.main(["tenant", "show", tenant.tenant_id])
    shown = json.loads(capsys.readouterr().out)
    assert shown["tenantId"] == tenant.tenant_id and shown["listShards"] == {
        family: {"count": 1} for family in FAMILIES
    }
    assert shown["counterShards"] == COUNTERS_DEFAULT
    cli.main(["tenant", "shards", tenant.tenant_id, "--lists", "32", "--family", "members", "--family", "due"])
    raised = json.loads(capsys.readouterr().out)["listShards"]
    assert raised["members"]["count"] == raised["due"]["count"] == 32 and raised["transactions"] == {"count": 1}
    cli.main(["tenant", "shards", tenant.tenant_id, "--counters", "8"])
    assert json.loads(capsys.readouterr().out)["counterShards"] == 8
    for wrong in (["--lists", "16"], ["--counters", "65"], ["--lists", "32", "--counters", "0"]):
        with pytest.raises(SystemExit) as refused:
            cli.main(["tenant", "shards", tenant.tenant_id, *wrong])
        err = capsys.readouterr().err
        assert (
            refused.value.code == Exit.REFUSED and err.startswith("error: validation_error") and err.count("\n") == 1
        ), err
    with pytest.raises(SystemExit) as refused:  # neither count: a usage error, before any read
        cli.main(["tenant", "shards", tenant.tenant_id])
    assert refused.value.code == Exit.USAGE and "--lists, --counters or both" in capsys.readouterr().err
    cli.main(["tenant", "show", tenant.tenant_id])
    shown = json.loads(capsys.readouterr().out)
    assert (shown["listShards"], shown["counterShards"]) == (raised, 8)


def test_entries_rewritten_after_a_raise_stay_in_their_shard(tenant, frozen):
    """A member whose email changes or who is erased, and a lot that grows, after a raise: their list entries
    stay in shard 0, where they were first written (a move could serve a member twice in one walk)."""
    ok(200, tenant.admin.patch("/program", {"pointsExpiryDays": 10}))
    activity(tenant.admin, "visit", points=10)
    people = [_member(tenant, i) for i in range(12)]
    for m in people:
        ok(201, award(tenant.integration, m, "visit"))
    raise_and_settle(tenant.tenant_id, 32, frozen)
    for i, m in enumerate(people):
        ok(201, award(tenant.integration, m, "visit"))  # the same day: the member's lot grows
        if i % 3:
            ok(200, tenant.integration.patch(f"/members/{m}", {"email": f"moved{i}@example.com"}))
        else:
            ok(200, tenant.admin.delete(f"/members/{m}"))
    assert occupied(members_db.by_creation(tenant.tenant_id)) == {0}
    assert occupied(lots_db._due(tenant.tenant_id)) == {0}
    walked, _ = walk(tenant.read, "/members", "memberId", limit=5)
    assert walked == list(reversed(people))
    found = tenant.read.get("/members?email=moved1@example.com").data
    assert [m["memberId"] for m in found] == [people[1]] and tenant.read.get(
        "/members?email=walk1@example.com"
    ).data == []


def test_new_entries_keep_to_the_old_count_until_the_raise_has_settled(tenant, frozen):
    """For SETTLE_SECONDS after a raise (longer than any container caches the counts) enrolments still go to
    the old count's shards, so no container writes a shard another's page does not read yet; then they spread."""
    tenants.raise_list_shards(tenant.tenant_id, 32, ["members"])
    frozen.advance(seconds=SETTLE_SECONDS - 1)
    settling = [_member(tenant, i) for i in range(20)]
    assert occupied(members_db.by_creation(tenant.tenant_id)) == {0}
    frozen.advance(seconds=1)
    spread = [_member(tenant, i) for i in range(20, 40)]
    assert len(occupied(members_db.by_creation(tenant.tenant_id))) > 1
    everything, _ = walk(tenant.read, "/members", "memberId", limit=9)
    assert everything == list(reversed(settling + spread))
