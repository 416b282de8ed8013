"""The scheduled jobs: a crash half-way and a re-run leave every balance right; the CLI runs them by hand."""

import json
import time
from datetime import UTC, datetime

import pytest
from loyalty.repository import leases, store
from loyalty.routes import JOBS
from loyalty.services import jobs

from tests.support.ledger import activity, assert_ledger_clean, award, balance, member
from tests.support.local import ok
from tools import cli


def test_a_crash_half_way_then_a_rerun_settles_everything_once(tenant, frozen, monkeypatch):
    ok(200, tenant.admin.patch("/program", {"pointsExpiryDays": 10, "pendingDays": 3}))
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
    with pytest.raises(jobs.TenantsFailed) as failed:
        jobs.approve_delayed(tenant_ids=[tenant.tenant_id])
    monkeypatch.setattr(store, "transact", original)
    assert failed.value.tenant_ids == [tenant.tenant_id]
    assert_ledger_clean(tenant.tenant_id)  # some approved, the rest still pending: consistent
    first = failed.value.result["approved"]
    assert 0 < first < 4
    assert jobs.approve_delayed(tenant_ids=[tenant.tenant_id]) == {"approved": 4 - first, "complete": True}
    calls.clear()
    monkeypatch.setattr(store, "transact", crash_on_the_third)
    with pytest.raises(jobs.TenantsFailed) as failed:
        jobs.expire_points(tenant_ids=[tenant.tenant_id])
    monkeypatch.setattr(store, "transact", original)
    assert_ledger_clean(tenant.tenant_id)
    first = failed.value.result["lots"]
    assert failed.value.result["points"] == 10 * first
    rest = 4 - first
    assert jobs.expire_points(tenant_ids=[tenant.tenant_id]) == {"lots": rest, "points": 10 * rest, "complete": True}
    assert jobs.expire_points(tenant_ids=[tenant.tenant_id]) == {"lots": 0, "points": 0, "complete": True}
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


def test_the_cli_runs_the_jobs_and_the_checker(local_api, tenant, capsys, monkeypatch):
    # this process's table is the worker's DynamoDB Local: a local table, so --now is allowed without --force
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", local_api.engine.endpoint)
    activity(tenant.admin, "visit", points=10, approvalMethod="delayed")
    m = member(tenant.integration, "cli@example.com")
    award(tenant.integration, m, "visit")
    capsys.readouterr()  # only what the CLI prints below (a handler may flush its metrics to stdout before)
    cli.main(["job", "approve-delayed", "--tenant", tenant.tenant_id, "--now", "2099-01-01T00:00:00Z"])
    assert json.loads(capsys.readouterr().out) == {"approved": 1, "complete": True}
    cli.main(["job", "expire-points", "--tenant", tenant.tenant_id])
    assert json.loads(capsys.readouterr().out) == {"lots": 0, "points": 0, "complete": True}
    cli.main(["check", "--tenant", tenant.tenant_id])
    assert json.loads(capsys.readouterr().out) == {"tenants": 1, "problems": []}
    assert balance(tenant.read, m)["available"] == 10


def test_a_job_item_that_can_never_settle_is_left_for_the_next_run_at_once(tenant, frozen, monkeypatch):
    """The jobs use the one retry policy: a permanent refusal is skipped fast, not retried 20 times."""
    ok(200, tenant.admin.patch("/program", {"pointsExpiryDays": 10}))
    activity(tenant.admin, "visit", points=10)
    m = member(tenant.integration, "stuck@example.com")
    award(tenant.integration, m, "visit")
    frozen.advance(days=12)
    original = store.transact

    def refused(items):  # the member's version condition fails on unchanged state, every time
        raise store.ConditionFailed([0], repr(("member", m)))

    monkeypatch.setattr(jobs.leases, "take", lambda *args: True)  # only the items' writes are refused
    monkeypatch.setattr(jobs.leases, "give_back", lambda *args: None)
    monkeypatch.setattr(store, "transact", refused)
    started = time.monotonic()
    assert jobs.expire_points(tenant_ids=[tenant.tenant_id]) == {"lots": 1, "points": 0, "complete": True}
    assert time.monotonic() - started < 1
    monkeypatch.setattr(store, "transact", original)
    assert_ledger_clean(tenant.tenant_id)
    assert jobs.expire_points(tenant_ids=[tenant.tenant_id]) == {"lots": 1, "points": 10, "complete": True}


def test_the_checker_reports_a_balance_or_a_pool_that_disagrees_with_the_ledger(tenant):
    from loyalty.repository import members as members_db
    from loyalty.repository import rewards as rewards_db
    from loyalty.services import checker

    activity(tenant.admin, "visit", points=10)
    m = member(tenant.integration, "tampered@example.com")
    award(tenant.integration, m, "visit")
    ok(
        201,
        tenant.admin.post(
            "/rewards",
            {"rewardId": "coffee", "name": "Coffee", "pointsCost": 5, "fulfillment": "coupon", "isActive": True},
        ),
    )
    ok(200, tenant.admin.post("/rewards/coffee/codes", {"codes": ["A1", "A2"]}))
    assert_ledger_clean(tenant.tenant_id)
    stored = store.get(members_db.key(tenant.tenant_id, m))
    stored["balance"]["available"] += 5
    store.put_plain(stored)
    pool = rewards_db.code_pool(tenant.tenant_id, store.get(rewards_db.key(tenant.tenant_id, "coffee")))
    store.transact([store.delete(pool.entry_key("A1"))])
    problems = checker.check([tenant.tenant_id])["problems"]
    assert {p.get("field") for p in problems if "field" in p} == {"available", "lotTotal - consumed", "unspent lots"}
    assert [p["problem"] for p in problems if "problem" in p] == ["available differs from the codes in the pool"]


def _due_awards(local_api, count: int):
    """A tenant with `count` members, each with one delayed award that is due after 12 days."""
    tenant = local_api.new_tenant()
    tenant.admin.patch("/program", {"pointsExpiryDays": 10, "pendingDays": 3})
    activity(tenant.admin, "later", points=7, approvalMethod="delayed")
    for i in range(count):
        award(tenant.integration, member(tenant.integration, f"due{i}@example.com"), "later")
    return tenant


class CountdownBudget(jobs.Budget):
    """A budget spent after `checks` looks at the clock, as a Lambda's remaining time runs out."""

    def __init__(self, checks: int) -> None:
        super().__init__()
        self.checks = checks

    def spent(self) -> bool:
        self.checks -= 1
        return self.checks < 0


def test_a_run_pages_through_every_tenant_stops_on_its_budget_and_the_next_run_resumes(local_api, monkeypatch):
    monkeypatch.setattr(jobs, "PAGE_SIZE", 2)
    busy, quiet = _due_awards(local_api, 7), _due_awards(local_api, 2)
    ids = [busy.tenant_id, quiet.tenant_id]
    later = datetime(2099, 1, 1, tzinfo=UTC)
    stopped = jobs.approve_delayed(now=later, tenant_ids=ids, budget=CountdownBudget(8))
    assert stopped["complete"] is False and 0 < stopped["approved"] < 9
    # pages are taken a tenant at a time in turn: the quiet tenant is not starved by the busy one
    assert jobs.approve_delayed(now=later, tenant_ids=[quiet.tenant_id]) == {"approved": 0, "complete": True}
    rest = jobs.approve_delayed(now=later, tenant_ids=ids)
    assert rest == {"approved": 9 - stopped["approved"], "complete": True}
    for tenant in (busy, quiet):
        assert_ledger_clean(tenant.tenant_id)


def test_a_failing_tenant_is_logged_and_skipped_and_the_others_are_settled(local_api, monkeypatch):
    broken, healthy = _due_awards(local_api, 3), _due_awards(local_api, 3)
    original = jobs.approve_due

    def approve_or_fail(tenant_id, transaction_id, now, budget=None):
        if tenant_id == broken.tenant_id:
            raise ValueError("corrupt item")
        return original(tenant_id, transaction_id, now, budget)

    monkeypatch.setattr(jobs, "approve_due", approve_or_fail)
    later = datetime(2099, 1, 1, tzinfo=UTC)
    with pytest.raises(jobs.TenantsFailed) as failed:
        jobs.approve_delayed(now=later, tenant_ids=[broken.tenant_id, healthy.tenant_id])
    assert failed.value.tenant_ids == [broken.tenant_id]
    assert failed.value.result == {"approved": 3, "complete": True}
    monkeypatch.setattr(jobs, "approve_due", original)
    assert jobs.approve_delayed(now=later, tenant_ids=[broken.tenant_id]) == {"approved": 3, "complete": True}


def test_the_job_handlers_stop_when_the_lambda_has_too_little_time_left(tenant, monkeypatch):
    from tools.local.gateway import LambdaContext, load_handler

    class AlmostOut(LambdaContext):
        def get_remaining_time_in_millis(self) -> int:
            return 5_000

    monkeypatch.setenv("JOB_RESERVE_SECONDS", "10")
    monkeypatch.setattr(jobs.tenants, "list_tenants", lambda: [tenant.tenant_id])
    for job in JOBS:
        answer = load_handler(job.function)({}, AlmostOut(job.function, "job"))
        assert answer["complete"] is False and set(answer) > {"complete"}


def test_runs_of_one_job_never_overlap_and_a_crashed_runs_lease_frees_at_its_expiry(local_api):
    """No reserved concurrency needed: the job's lease in the table lets one run at a time work."""
    tenant = _due_awards(local_api, 2)
    later = datetime(2099, 1, 1, tzinfo=UTC)
    job = "approve_delayed"
    assert leases.take(job, "crashed-run", 900, now=time.time() - 3600)  # killed an hour ago, never gave it back
    assert jobs.approve_delayed(now=later, tenant_ids=[tenant.tenant_id]) == {"approved": 2, "complete": True}
    assert leases.holder_of(job) is None  # a finished run gives its lease back
    more = _due_awards(local_api, 1)
    assert leases.take(job, "running-elsewhere", 900)
    try:
        skipped = jobs.approve_delayed(now=later, tenant_ids=[more.tenant_id])
        assert skipped["approved"] == 0 and skipped["complete"] is False and skipped["skipped"]
        assert leases.holder_of(job) == "running-elsewhere"  # the run that held it keeps it
        assert jobs.expire_points(tenant_ids=[more.tenant_id])["complete"] is True  # another job is not held up
    finally:
        leases.give_back(job, "running-elsewhere")
    assert jobs.approve_delayed(now=later, tenant_ids=[more.tenant_id]) == {"approved": 1, "complete": True}


def test_a_run_whose_lease_was_taken_over_stops_before_its_next_page(local_api, monkeypatch):
    monkeypatch.setattr(jobs, "PAGE_SIZE", 1)
    tenant = _due_awards(local_api, 3)
    original = jobs.approve_due

    def approve_then_lose_the_lease(tenant_id, transaction_id, now, budget=None):
        # the run stalled past its lease's expiry and another run took the lease
        store.put_plain({**leases.key("approve_delayed"), "holder": "newer-run", "expiresAtEpoch": 2**40})
        return original(tenant_id, transaction_id, now, budget)

    monkeypatch.setattr(jobs, "approve_due", approve_then_lose_the_lease)
    try:
        stopped = jobs.approve_delayed(now=datetime(2099, 1, 1, tzinfo=UTC), tenant_ids=[tenant.tenant_id])
        assert stopped == {"approved": 1, "complete": False}
        assert leases.holder_of("approve_delayed") == "newer-run"  # not given back by the run that lost it
    finally:
        leases.give_back("approve_delayed", "newer-run")
