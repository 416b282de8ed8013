"""The scheduled jobs: a crash half-way and a re-run leave every balance right; the CLI runs them by hand."""

import json
import time

import pytest
from loyalty.repository import store
from loyalty.services import jobs

from tests.support.ledger import activity, assert_ledger_clean, award, balance, member
from tools import cli


def test_a_crash_half_way_then_a_rerun_settles_everything_once(tenant, frozen, monkeypatch):
    tenant.admin.patch("/program", {"pointsExpiryDays": 10, "pendingDays": 3})
    activity(tenant.admin, "visit", points=10)
    activity(tenant.admin, "later", points=7, approvalMethod="delayed")
    people = [member(tenant.integration, f"p{i}@example.com") for i in range(4)]
    for m in people:
        award(tenant.integration, m, "visit")
        award(tenant.integration, m, "later")
    frozen.advance(days=12)
    original, calls = store.transact, []

    def crash_on_the_third(items):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the function was stopped")
        return original(items)

    monkeypatch.setattr(store, "transact", crash_on_the_third)
    with pytest.raises(RuntimeError):
        jobs.approve_delayed(tenant_ids=[tenant.tenant_id])
    monkeypatch.setattr(store, "transact", original)
    assert_ledger_clean(tenant.tenant_id)  # two approved, the rest still pending: consistent
    assert jobs.approve_delayed(tenant_ids=[tenant.tenant_id]) == {"approved": 2}
    calls.clear()
    monkeypatch.setattr(store, "transact", crash_on_the_third)
    with pytest.raises(RuntimeError):
        jobs.expire_points(tenant_ids=[tenant.tenant_id])
    monkeypatch.setattr(store, "transact", original)
    assert_ledger_clean(tenant.tenant_id)
    assert jobs.expire_points(tenant_ids=[tenant.tenant_id]) == {"lots": 2, "points": 20}
    assert jobs.expire_points(tenant_ids=[tenant.tenant_id]) == {"lots": 0, "points": 0}
    for m in people:
        assert balance(tenant.read, m) | {} == {
            "available": 7,
            "pending": 0,
            "redeemed": 0,
            "expired": 10,
            "lifetime": 17,
            "qualified": 17,
        }
    assert_ledger_clean(tenant.tenant_id)


def test_the_cli_runs_the_jobs_and_the_checker(tenant, capsys):
    activity(tenant.admin, "visit", points=10, approvalMethod="delayed")
    m = member(tenant.integration, "cli@example.com")
    award(tenant.integration, m, "visit")
    cli.main(["job", "approve-delayed", "--tenant", tenant.tenant_id, "--now", "2099-01-01T00:00:00Z"])
    assert json.loads(capsys.readouterr().out) == {"approved": 1}
    cli.main(["job", "expire-points", "--tenant", tenant.tenant_id])
    assert json.loads(capsys.readouterr().out) == {"lots": 0, "points": 0}
    cli.main(["check", "--tenant", tenant.tenant_id])
    assert json.loads(capsys.readouterr().out) == {"tenants": 1, "problems": []}
    assert balance(tenant.read, m)["available"] == 10


def test_a_job_item_that_can_never_settle_is_left_for_the_next_run_at_once(tenant, frozen, monkeypatch):
    """The jobs use the one retry policy: a permanent refusal is skipped fast, not retried 20 times."""
    tenant.admin.patch("/program", {"pointsExpiryDays": 10})
    activity(tenant.admin, "visit", points=10)
    m = member(tenant.integration, "stuck@example.com")
    award(tenant.integration, m, "visit")
    frozen.advance(days=12)
    original = store.transact

    def refused(items):  # the member's version condition fails on unchanged state, every time
        raise store.ConditionFailed([0], repr(("member", m)))

    monkeypatch.setattr(store, "transact", refused)
    started = time.monotonic()
    assert jobs.expire_points(tenant_ids=[tenant.tenant_id]) == {"lots": 1, "points": 0}
    assert time.monotonic() - started < 1
    monkeypatch.setattr(store, "transact", original)
    assert_ledger_clean(tenant.tenant_id)
    assert jobs.expire_points(tenant_ids=[tenant.tenant_id]) == {"lots": 1, "points": 10}


def test_the_checker_reports_a_balance_or_a_pool_that_disagrees_with_the_ledger(tenant):
    from loyalty.repository import members as members_db
    from loyalty.repository import rewards as rewards_db
    from loyalty.services import checker

    activity(tenant.admin, "visit", points=10)
    m = member(tenant.integration, "tampered@example.com")
    award(tenant.integration, m, "visit")
    tenant.admin.post("/rewards", {"rewardId": "coffee", "name": "Coffee", "pointsCost": 5, "fulfillment": "coupon"})
    tenant.admin.post("/rewards/coffee/codes", {"codes": ["A1", "A2"]})
    assert_ledger_clean(tenant.tenant_id)
    stored = store.get(members_db.key(tenant.tenant_id, m))
    stored["balance"]["available"] += 5
    store.put_plain(stored)
    store.transact([store.delete(rewards_db.code_key(tenant.tenant_id, "coffee", "A1"))])
    problems = checker.check([tenant.tenant_id])["problems"]
    assert {p.get("field") for p in problems if "field" in p} == {"available", "lotTotal - consumed", "unspent lots"}
    assert [p["problem"] for p in problems if "problem" in p] == ["available differs from the codes in the pool"]
