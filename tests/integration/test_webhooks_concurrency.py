"""Webhook endpoints under real concurrency over the local API: racing creates never pass the 20-endpoint limit,
and the limit's guard counts exactly the endpoints stored while creates and deletes race."""

from collections import Counter
from typing import Any

import pytest

from tests.integration.test_webhooks import create, stored_endpoints
from tests.support.concurrency import at_once
from tests.support.ledger import assert_ledger_clean
from tests.support.local import ok

pytestmark = pytest.mark.xdist_group("concurrency")


def test_25_concurrent_creates_leave_exactly_20(local_api, tenant):
    replies = at_once(local_api, 25, lambda i: create(tenant.admin, description=f"racer {i}"))
    outcome = Counter((r.status, r.code) for r in replies)
    assert outcome == {(201, None): 20, (409, "limit_reached"): 5}, outcome
    assert len(stored_endpoints(tenant.tenant_id)) == 20
    assert len(ok(200, tenant.admin.get("/webhooks?limit=100")).data) == 20
    assert_ledger_clean(tenant.tenant_id)  # the guard's count is 20, the endpoints stored


def test_concurrent_creates_and_deletes_keep_the_count_true(local_api, tenant):
    made = [ok(201, create(tenant.admin)).data["webhookId"] for _ in range(15)]

    def call(i: int) -> Any:
        return tenant.admin.delete(f"/webhooks/{made[i]}") if i < 10 else create(tenant.admin)

    replies = at_once(local_api, 25, call)
    assert [r.status for r in replies[:10]] == [204] * 10
    assert sum(r.status == 201 for r in replies[10:]) + 5 == len(stored_endpoints(tenant.tenant_id))
    assert len(stored_endpoints(tenant.tenant_id)) <= 20
    assert_ledger_clean(tenant.tenant_id)
