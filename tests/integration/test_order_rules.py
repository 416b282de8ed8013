"""Seed rules of contract §10 over the local API: partial returns keep what the remaining value earns, award
orders are orders, and a date-time without an offset is UTC."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from tests.support.concurrency import at_once
from tests.support.ledger import activity, assert_ledger_clean, award, balance, member
from tests.support.local import Reply, Tenant, tenant_digest


def sale_program(tenant: Tenant, multiplier: float = 1) -> None:
    activity(tenant.admin, "sale", type="multiplier", multiplier=multiplier, isSaleActivity=True)
    assert tenant.admin.patch("/program", {"saleActivityId": "sale"}).status == 200


def order(tenant: Tenant, member_id: str, order_id: str, total: str, **extra: Any) -> Reply:
    return tenant.integration.post("/orders", {"orderId": order_id, "memberId": member_id, "total": total, **extra})


def give_back(tenant: Tenant, order_id: str, **body: Any) -> Reply:
    return tenant.integration.post(f"/orders/{order_id}/returns", body)


def figures(reply: Reply) -> tuple[int, int, int, int]:
    data = reply.data
    return data["points"], data["cancelledPendingPoints"], data["deductedPoints"], data["deficitPoints"]


def test_the_seed_example_a_10_99_order_keeps_9_points_after_1_00_back_then_8(tenant):
    sale_program(tenant)
    m = member(tenant.integration, "seed@example.com")
    assert order(tenant, m, "o-1", "10.99").data["pointsAwarded"] == 10
    for left in (9, 8):
        before = tenant_digest(tenant.tenant_id)
        seen = give_back(tenant, "o-1", returnedAmount="1.00", dryRun=True)
        assert seen.status == 200 and tenant_digest(tenant.tenant_id) == before, seen.text
        real = give_back(tenant, "o-1", returnedAmount="1.00")
        assert real.status == 201 and figures(real) == figures(seen) == (1, 0, 1, 0), real.text
        assert balance(tenant.read, m)["available"] == left
    assert tenant.read.get("/orders/o-1").data["pointsReturned"] == 2
    rest = give_back(tenant, "o-1")  # the 8.99 left: the 8 points it kept
    assert (rest.data["returnedAmount"], rest.data["points"]) == ("8.99", 8)
    assert balance(tenant.read, m) == {**balance(tenant.read, m), "available": 0, "lifetime": 0}
    assert_ledger_clean(tenant.tenant_id)


def test_an_award_with_an_order_id_records_the_order_posting_it_again_replays_or_is_a_duplicate(tenant):
    activity(tenant.admin, "purchase", type="multiplier", multiplier=2)
    m = member(tenant.integration, "award@example.com")
    made = award(tenant.integration, m, "purchase", points=25, orderId="o-1")
    assert made.status == 201 and made.data["points"] == 50, made.text
    recorded = tenant.read.get("/orders/o-1")
    assert recorded.status == 200, recorded.text
    assert {k: recorded.data[k] for k in ("memberId", "currency", "total", "pointsAwarded", "transactionIds")} == {
        "memberId": m,
        "currency": "USD",
        "total": "25.00",
        "pointsAwarded": 50,
        "transactionIds": [made.data["transactionId"]],
    }
    assert [o["orderId"] for o in tenant.read.get(f"/members/{m}/orders").data] == ["o-1"]
    same = order(tenant, m, "o-1", "25.00")
    assert (same.status, same.json) == (200, recorded.json), same.text
    assert order(tenant, m, "o-1", "25").status == 200  # the same amount
    assert order(tenant, m, "o-1", "25.01").code == "duplicate"
    assert order(tenant, m, "o-1", "25.00", channel="in-store").code == "duplicate"
    assert order(tenant, member(tenant.integration, "b@example.com"), "o-1", "25.00").code == "duplicate"
    assert award(tenant.integration, m, "purchase", points=25, orderId="o-1").code == "duplicate"
    back = give_back(tenant, "o-1", returnedAmount="0.50")  # 24.50 left keeps 49
    assert back.status == 201 and figures(back) == (1, 0, 1, 0), back.text
    whole = give_back(tenant, "o-1")
    assert whole.status == 201 and figures(whole) == (49, 0, 49, 0), whole.text
    assert balance(tenant.read, m)["available"] == 0
    assert tenant.read.get("/orders/o-1").data["pointsReturned"] == 50
    assert_ledger_clean(tenant.tenant_id)


def test_two_activities_award_on_one_order_and_its_returns_take_back_both(tenant):
    sale_program(tenant, multiplier=2)
    activity(tenant.admin, "promo", type="multiplier", multiplier=1)
    m = member(tenant.integration, "two@example.com")
    first = order(tenant, m, "o-1", "10.00")  # 20 points
    joined = award(tenant.integration, m, "promo", points=10, orderId="o-1")  # 10 more on the same order
    assert joined.status == 201, joined.text
    recorded = tenant.read.get("/orders/o-1").data
    assert recorded["pointsAwarded"] == 30
    assert recorded["transactionIds"] == [*first.data["transactionIds"], joined.data["transactionId"]]
    assert award(tenant.integration, m, "promo", points=10, orderId="o-1").code == "duplicate"  # once each
    assert award(tenant.integration, m, "sale", points=10, orderId="o-1").code == "duplicate"
    part = give_back(tenant, "o-1", returnedAmount="2.50")  # 7.50 left keeps 15 + 7
    assert figures(part) == (8, 0, 8, 0), part.text
    rest = give_back(tenant, "o-1")
    assert figures(rest) == (22, 0, 22, 0), rest.text
    assert balance(tenant.read, m)["available"] == 0
    promo = tenant.read.get(f"/transactions/{joined.data['transactionId']}").data
    assert promo["orderId"] == "o-1"
    assert_ledger_clean(tenant.tenant_id)


def test_a_refused_award_or_order_stores_nothing(tenant, local_api):
    sale_program(tenant)
    activity(tenant.admin, "promo", type="multiplier", multiplier=1)
    activity(tenant.admin, "closed", type="multiplier", multiplier=1, isActive=False)
    m, other = member(tenant.integration, "a@example.com"), member(tenant.integration, "b@example.com")
    order(tenant, m, "o-1", "10.00")
    order(tenant, m, "o-2", "10.00")
    give_back(tenant, "o-2", returnedAmount="1.00")
    foreign = local_api.new_tenant("f")
    activity(foreign.admin, "promo", type="multiplier", multiplier=1)
    before = tenant_digest(tenant.tenant_id)
    for reply, wanted in [
        (award(tenant.integration, other, "promo", points=5, orderId="o-1"), "duplicate"),  # another member's
        (award(tenant.integration, m, "promo", points=5, orderId="o-2"), "invalid_state"),  # returned in part
        (award(tenant.integration, m, "closed", points=5, orderId="o-9"), "activity_inactive"),
        (award(tenant.integration, m, "promo", orderId="o-9"), "validation_error"),  # a multiplier needs a base
        (award(tenant.integration, m, "promo", points=5, orderId="o 9"), "validation_error"),
        (award(tenant.integration, m, "nope", points=5, orderId="o-9"), "not_found"),
        (award(tenant.integration, "01ARZ3NDEKTSV4RRFFQ69G5FAV", "promo", points=5, orderId="o-9"), "not_found"),
        (award(foreign.integration, m, "promo", points=5, orderId="o-1"), "not_found"),  # another tenant's member
        (order(tenant, m, "o-1", "10.01"), "duplicate"),
        (give_back(tenant, "o-1", returnedAmount="10.01"), "validation_error"),
        (give_back(tenant, "o-1", returnedAmount="10.01", dryRun=True), "validation_error"),
    ]:
        assert reply.code == wanted, reply.text
    assert tenant_digest(tenant.tenant_id) == before
    assert tenant.read.get("/orders/o-9").status == 404
    assert_ledger_clean(tenant.tenant_id)


def test_awards_of_ten_activities_on_one_new_order_at_once_all_join_it(tenant, local_api):
    for n in range(10):
        activity(tenant.admin, f"a{n}", type="multiplier", multiplier=1)
    m = member(tenant.integration, "race@example.com")
    replies = at_once(local_api, 10, lambda n: award(tenant.integration, m, f"a{n}", points=n + 1, orderId="o-1"))
    assert [r.status for r in replies] == [201] * 10, [r.text for r in replies]
    recorded = tenant.read.get("/orders/o-1").data
    assert sorted(recorded["transactionIds"]) == sorted(r.data["transactionId"] for r in replies)
    assert recorded["pointsAwarded"] == 55 and recorded["total"] in {f"{n}.00" for n in range(1, 11)}
    assert balance(tenant.read, m)["available"] == 55
    assert give_back(tenant, "o-1").data["points"] == 55
    assert_ledger_clean(tenant.tenant_id)


def test_a_time_without_an_offset_is_utc_and_garbage_is_still_refused(tenant):
    sale_program(tenant)
    m = member(tenant.integration, "time@example.com")
    naive = order(tenant, m, "o-1", "1.00", orderedAt="2019-03-22T09:39:25")
    zoned = order(tenant, m, "o-2", "1.00", orderedAt="2019-03-22T09:39:25Z")
    assert naive.status == zoned.status == 201, naive.text
    assert naive.data["orderedAt"] == zoned.data["orderedAt"] == "2019-03-22T09:39:25Z"
    (first,) = [t for t in tenant.read.get(f"/members/{m}/transactions").data if t["orderId"] == "o-1"]
    made = datetime.fromisoformat(first["createdAt"])
    for moment, found in ((made, True), (made + timedelta(seconds=1), False)):
        naive, zoned = moment.strftime("%Y-%m-%dT%H:%M:%S"), moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        listed = tenant.read.get(f"/transactions?from={quote(naive)}")
        assert listed.status == 200 and listed.json == tenant.read.get(f"/transactions?from={zoned}").json
        assert (first["transactionId"] in {t["transactionId"] for t in listed.data}) == found
    for garbage in ("2019-03-22 09:39:25", "2019-03-22T09:39", "2019-03-22T09:39:25+", "22/03/2019 09:39:25"):
        refused = order(tenant, m, "o-3", "1.00", orderedAt=garbage)
        assert refused.status == 400 and refused.json["error"]["details"][0]["field"] == "orderedAt", garbage
        assert tenant.read.get(f"/transactions?to={quote(garbage)}").status == 400
    assert tenant.read.get("/orders/o-3").status == 404


def test_the_checker_reports_an_order_whose_transactions_do_not_agree_with_it(tenant):
    from loyalty.repository import orders as orders_db
    from loyalty.repository import store
    from loyalty.services import checker

    sale_program(tenant)
    m = member(tenant.integration, "check@example.com")
    first = order(tenant, m, "o-1", "3.00").data
    second = order(tenant, m, "o-2", "4.00").data
    assert_ledger_clean(tenant.tenant_id)
    wrong = {"transactionIds": second["transactionIds"], "pointsReturned": 5}  # o-2's award; more than earned
    store.transact([store.update(orders_db.key(tenant.tenant_id, "o-1"), set_values=wrong)])
    found = {(p["field"], p["problem"]) for p in checker.check([tenant.tenant_id])["problems"]}
    (award_id,) = second["transactionIds"]
    assert found == {
        ("transactionIds", f"order o-1 names transaction {award_id} of order o-2"),
        ("pointsAwarded", "order o-1: 3, its awards 4"),
        ("pointsReturned", "order o-1: 5, taken from its awards 0"),
    }, (found, first)
