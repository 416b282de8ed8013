"""Segments under real concurrency over the local API: racing creates never pass the per-tenant limit, and the
limit's guard counts exactly the segments stored (the checker holds it to that)."""

from collections import Counter

import pytest
from loyalty.services import segments

from tests.support.concurrency import at_once
from tests.support.ledger import assert_ledger_clean
from tests.support.local import ok

pytestmark = pytest.mark.xdist_group("concurrency")


def test_racing_creates_leave_exactly_the_limit(local_api, tenant, monkeypatch):
    monkeypatch.setattr(segments, "MAX_SEGMENTS", 8)
    ok(201, tenant.admin.post("/segments", {"segmentId": "first", "name": "First"}))
    replies = at_once(local_api, 15, lambda i: tenant.admin.post("/segments", {"segmentId": f"s{i}", "name": "S"}))
    outcome = Counter((r.status, r.code) for r in replies)
    assert outcome == {(201, None): 7, (409, "limit_reached"): 8}, outcome
    assert len(ok(200, tenant.read.get("/segments?limit=100")).data) == 8
    assert_ledger_clean(tenant.tenant_id)  # the guard's count is 8, the segments stored
