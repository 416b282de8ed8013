"""Orders and returns over the local API: earn once through the sale activity; a return takes back what the
returned value earned, the member keeping what the remaining value earns (§10)."""

import pytest

from tests.support.ledger import activity, assert_ledger_clean, balance, member


def sale_program(tenant, **fields):
    activity(tenant.admin, "sale", type="multiplier", multiplier=2, isSaleActivity=True, **fields)
    assert tenant.admin.patch("/program", {"saleActivityId": "sale"}).status == 200


def order(tenant, member_id, order_id, total, **extra):
    return tenant.integration.post("/orders", {"orderId": order_id, "memberId": member_id, "total": total, **extra})


def give_back(tenant, order_id, amount=None):
    return tenant.integration.post(f"/orders/{order_id}/returns", {} if amount is None else {"returnedAmount": amount})


def test_an_order_needs_a_sale_activity_and_earns_through_it_once(tenant):
    m = member(tenant.integration, "a@example.com")
    assert order(tenant, m, "o-1", "10.00").code == "invalid_state"
    sale_program(tenant)
    created = order(tenant, m, "o-1", "59.99", items=[{"sku": "TEE", "quantity": 2, "amount": "59.99"}])
    assert created.status == 201, created.text
    assert created.data["pointsAwarded"] == 119 and created.data["currency"] == "USD"
    assert created.data["channel"] == "online" and len(created.data["transactionIds"]) == 1
    replay = order(tenant, m, "o-1", "59.99", items=[{"sku": "TEE", "quantity": 2, "amount": "59.99"}])
    assert replay.status == 200 and replay.data == created.data
    changed = order(tenant, m, "o-1", "60.00")
    assert changed.status == 409 and changed.code == "duplicate"
    assert balance(tenant.read, m)["available"] == 119
    assert tenant.read.get("/orders/o-1").data == created.data
    order(tenant, m, "o-2", "1.00", orderedAt="2026-01-01T10:00:00+02:00")
    assert [o["orderId"] for o in tenant.read.get(f"/members/{m}/orders").data] == ["o-1", "o-2"]
    assert tenant.read.get("/orders/o-2").data["orderedAt"] == "2026-01-01T08:00:00Z"
    already = tenant.integration.post(f"/members/{m}/awards", {"activityId": "sale", "points": 5, "orderId": "o-3"})
    assert already.status == 201
    # the award recorded o-3 (§10): the same order again is a replay, other data a duplicate
    assert order(tenant, m, "o-3", "5.00").status == 200
    assert order(tenant, m, "o-3", "6.00").code == "duplicate"
    assert order(tenant, "01ARZ3NDEKTSV4RRFFQ69G5FAV", "o-4", "5.00").status == 404
    assert tenant.read.get("/orders/nope").status == 404
    assert_ledger_clean(tenant.tenant_id)


def test_partial_returns_keep_what_the_rest_earns_and_never_exceed_the_order(tenant):
    sale_program(tenant)
    m = member(tenant.integration, "b@example.com")
    order(tenant, m, "o-1", "100.00")  # 200 points
    first = give_back(tenant, "o-1", "33.33")
    assert first.status == 201, first.text
    # 66.67 left earns floor(133.34) = 133: 67 back
    assert (first.data["points"], first.data["deductedPoints"], first.data["deficitPoints"]) == (67, 67, 0)
    assert first.data["order"]["returnedAmount"] == "33.33"
    assert give_back(tenant, "o-1", "70.00").status == 400  # only 66.67 is left
    second = give_back(tenant, "o-1", "33.33").data
    assert second["points"] == 67  # 33.34 left earns floor(66.68) = 66: 200 - 66 - 67
    rest = give_back(tenant, "o-1").data  # the rest, in full
    assert rest["returnedAmount"] == "33.34" and rest["points"] == 66
    assert rest["order"]["pointsReturned"] == 200 and len(rest["order"]["transactionIds"]) == 4
    done = give_back(tenant, "o-1")
    assert done.status == 409 and done.code == "invalid_state"
    assert balance(tenant.read, m)["available"] == 0 and balance(tenant.read, m)["lifetime"] == 0
    returns = tenant.read.get(f"/members/{m}/transactions?type=return").data
    assert sorted(t["points"] for t in returns) == [66, 67, 67]
    assert give_back(tenant, "nope").status == 404
    assert_ledger_clean(tenant.tenant_id)


def test_pending_points_are_cancelled_before_approved_ones_are_deducted(tenant):
    sale_program(tenant, approvalMethod="manual")
    m = member(tenant.integration, "c@example.com")
    created = order(tenant, m, "o-1", "50.00").data  # 100 pending points
    partial = give_back(tenant, "o-1", "10.00").data
    assert (partial["cancelledPendingPoints"], partial["deductedPoints"], partial["transactionId"]) == (20, 0, None)
    assert balance(tenant.read, m)["pending"] == 80
    tx = created["transactionIds"][0]
    approved = tenant.admin.post(f"/transactions/{tx}/approve").data
    assert approved["cancelledPoints"] == 20
    assert balance(tenant.read, m)["available"] == 80
    rest = give_back(tenant, "o-1").data
    assert (rest["cancelledPendingPoints"], rest["deductedPoints"]) == (0, 80)
    assert tenant.read.get(f"/transactions/{tx}").data["returnedPoints"] == 80
    assert_ledger_clean(tenant.tenant_id)


def test_a_full_return_of_a_pending_order_rejects_its_award(tenant):
    sale_program(tenant, approvalMethod="delayed")
    m = member(tenant.integration, "d@example.com")
    tx = order(tenant, m, "o-1", "20.00").data["transactionIds"][0]
    assert give_back(tenant, "o-1").data["cancelledPendingPoints"] == 40
    entry = tenant.read.get(f"/transactions/{tx}").data
    assert entry["status"] == "rejected" and entry["cancelledPoints"] == 40
    assert balance(tenant.read, m)["pending"] == 0
    assert tenant.admin.post(f"/transactions/{tx}/approve").code == "invalid_state"
    assert_ledger_clean(tenant.tenant_id)


def test_points_already_spent_are_reported_as_a_deficit(tenant):
    sale_program(tenant)
    m = member(tenant.integration, "e@example.com")
    order(tenant, m, "o-1", "50.00")  # 100 points
    assert tenant.integration.post(f"/members/{m}/deductions", {"points": 70, "reason": "spent"}).status == 201
    back = give_back(tenant, "o-1").data
    assert (back["points"], back["deductedPoints"], back["deficitPoints"]) == (100, 30, 70)
    entry = tenant.read.get(f"/transactions/{back['transactionId']}").data
    assert entry["type"] == "return" and entry["points"] == 30 and entry["deficitPoints"] == 70
    assert balance(tenant.read, m)["available"] == 0
    assert_ledger_clean(tenant.tenant_id)


@pytest.mark.parametrize("total", ["0.49", "0.01"])
def test_an_order_too_small_to_earn_is_recorded_without_a_transaction(tenant, total):
    sale_program(tenant)
    m = member(tenant.integration, "f@example.com")
    created = order(tenant, m, "o-1", total).data
    assert created["pointsAwarded"] == 0 and created["transactionIds"] == []
    assert give_back(tenant, "o-1").data["points"] == 0
    assert_ledger_clean(tenant.tenant_id)


def test_returned_amount_is_written_in_the_orders_currency(tenant):
    m = member(tenant.integration, "yen@example.com")
    sale_program(tenant)
    for order_id, currency, zero in (("o-jpy", "JPY", "0"), ("o-usd", "USD", "0.00"), ("o-bhd", "BHD", "0.000")):
        created = order(tenant, m, order_id, "100", currency=currency)
        assert created.status == 201, created.text
        assert created.data["returnedAmount"] == zero and tenant.read.get(f"/orders/{order_id}").data == created.data
    assert give_back(tenant, "o-jpy", "40").data["order"]["returnedAmount"] == "40"
