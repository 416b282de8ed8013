"""Findings of the issue 23 review, each a defect found by attacking the local API from outside (a careless
or hostile client) and fixed at its root; each test failed before its fix."""

from __future__ import annotations

from tests.support.ledger import activity, assert_ledger_clean, award, balance, member
from tests.support.local import ok, tenant_digest


def test_an_order_of_total_zero_gives_back_the_points_it_earned(tenant):
    """`total` may be 0, and such an order still earns: a fixed sale activity's points, or a multiplier award
    that joins it (§10, award orders). Its return must take them back (§6: a full return takes all points of
    the order), not answer "returned in full already" because no money is left, which kept them forever."""
    activity(tenant.admin, "sale", points=5, isSaleActivity=True)  # fixed: 5 points whatever the total
    activity(tenant.admin, "double", type="multiplier", multiplier=2)
    assert tenant.admin.patch("/program", {"saleActivityId": "sale"}).status == 200
    m = member(tenant.integration, "zero@example.com")
    made = ok(201, tenant.integration.post("/orders", {"orderId": "o-0", "memberId": m, "total": "0.00"})).data
    assert made["pointsAwarded"] == 5
    ok(201, award(tenant.integration, m, "double", points=10, orderId="o-0"))  # joins the order: 20 more
    assert tenant.read.get("/orders/o-0").data["pointsAwarded"] == 25
    assert balance(tenant.read, m)["available"] == 25
    before = tenant_digest(tenant.tenant_id)
    seen = tenant.integration.post("/orders/o-0/returns", {"dryRun": True})
    assert seen.status == 200 and seen.data["points"] == 25, seen.text
    assert tenant_digest(tenant.tenant_id) == before
    too_much = tenant.integration.post("/orders/o-0/returns", {"returnedAmount": "0.01"})
    assert (too_much.status, too_much.code) == (400, "validation_error"), too_much.text
    assert tenant_digest(tenant.tenant_id) == before
    back = tenant.integration.post("/orders/o-0/returns", {})
    assert back.status == 201, back.text
    assert (back.data["returnedAmount"], back.data["points"], back.data["deductedPoints"]) == ("0.00", 25, 25)
    assert balance(tenant.read, m)["available"] == 0
    order = tenant.read.get("/orders/o-0").data
    assert (order["pointsAwarded"], order["pointsReturned"]) == (25, 25)
    again = tenant.integration.post("/orders/o-0/returns", {})  # now it is returned in full
    assert (again.status, again.code) == (409, "invalid_state"), again.text
    # an order of total 0 that earned nothing stays as before: nothing to return
    activity(tenant.admin, "per-unit", type="multiplier", multiplier=1)
    assert tenant.admin.patch("/program", {"saleActivityId": "per-unit"}).status == 200
    ok(201, tenant.integration.post("/orders", {"orderId": "o-nothing", "memberId": m, "total": "0"}))
    nothing = tenant.integration.post("/orders/o-nothing/returns", {})
    assert (nothing.status, nothing.code) == (409, "invalid_state"), nothing.text
    assert_ledger_clean(tenant.tenant_id)
