"""Exact amounts, codes and records of orders and returns, the points book, awards and reward redemptions (§4 to §7)."""

import pytest
from loyalty.models.members import MemberUpdate
from loyalty.models.orders import OrderListQuery
from loyalty.repository import ledger as ledger_db
from loyalty.results import Answer
from loyalty.services import members, orders, transactions

from tests.support.money import TENANT, book, foreign_token_refused, give_back, order, refused

pytestmark = pytest.mark.usefixtures("fresh_table")


def sale(prog, **fields):
    """The program's sale activity (a multiplier of 1 unless given)."""
    prog.activity("sale", **{"type": "multiplier", "multiplier": 1, **fields})
    prog.settings(saleActivityId="sale")


def test_an_order_records_what_was_sent_and_the_program_s_defaults_for_what_was_not(prog):
    sale(prog, multiplier=2)
    member = prog.member()
    items = [{"sku": "sku-1", "name": "Mug", "quantity": 2, "unitPrice": "4.50", "amount": "9.00", "category": "home"}]
    sent = {"currency": "EUR", "subtotal": "9.00", "items": items, "orderedAt": "2026-01-06T10:00:00Z"}
    full = order(prog, member, "o-full", "10.50", channel="in-store", **sent)
    assert full == {
        "orderId": "o-full",
        "memberId": member,
        **sent,
        "total": "10.50",
        "channel": "in-store",
        "pointsAwarded": 21,
        "pointsReturned": 0,
        "returnedAmount": "0.00",
        "transactionIds": full["transactionIds"],
        "createdAt": "2026-01-07T09:00:00Z",
        "updatedAt": "2026-01-07T09:00:00Z",
    }
    assert orders.get_order(TENANT, "o-full") == full
    prog.clock.advance(minutes=1)
    plain = order(prog, member, "o-plain", "3.00")
    assert {k: plain[k] for k in ("currency", "subtotal", "items", "orderedAt", "channel", "createdAt")} == {
        "currency": "USD",  # the program's
        "subtotal": None,
        "items": [],
        "orderedAt": "2026-01-07T09:01:00Z",  # when it was recorded
        "channel": "online",
        "createdAt": "2026-01-07T09:01:00Z",
    }
    (transaction_id,) = full["transactionIds"]
    entry = transactions.get_transaction(TENANT, transaction_id)
    assert (entry["type"], entry["status"], entry["points"], entry["memberId"]) == ("award", "approved", 21, member)
    assert (entry["activityId"], entry["orderId"], entry["reason"]) == ("sale", "o-full", "order")
    assert refused(lambda: orders.get_order(TENANT, "no-such-order")) == (404, "not_found")


def test_a_fixed_sale_activity_earns_its_points_whatever_the_total(prog):
    sale(prog, type="fixed", points=7)
    member = prog.member()
    assert order(prog, member, "o-1", "123.45")["pointsAwarded"] == 7
    assert prog.balance(member) == book(available=7, lifetime=7, qualified=7)


def test_an_order_that_earns_nothing_is_recorded_without_a_transaction_even_for_a_suspended_member(prog):
    sale(prog, multiplier=0.5)
    member = prog.member()
    members.update_member(prog.caller, member, MemberUpdate.model_validate({"status": "suspended"}))
    nothing = order(prog, member, "o-0", "1.99")  # floor(0.995) = 0
    assert (nothing["pointsAwarded"], nothing["transactionIds"]) == (0, [])
    assert refused(lambda: order(prog, member, "o-1", "2.00")) == (409, "invalid_state")  # 1 point: refused
    assert refused(lambda: orders.get_order(TENANT, "o-1")) == (404, "not_found")
    assert refused(lambda: order(prog, "no-such-member", "o-2", "2.00")) == (404, "not_found")
    assert prog.balance(member) == book()


def test_an_order_earns_within_the_sale_activity_s_cap_and_only_while_it_is_active(prog):
    sale(prog, maxAwardFrequency=1, maxAwardFrequencyInterval="day")
    member = prog.member()
    order(prog, member, "o-1", "5.00")
    assert refused(lambda: order(prog, member, "o-2", "5.00")) == (409, "frequency_limit_reached")
    assert refused(lambda: orders.get_order(TENANT, "o-2")) == (404, "not_found")
    prog.clock.advance(days=1)
    assert order(prog, member, "o-2", "5.00")["pointsAwarded"] == 5
    prog.activity("closed", type="multiplier", multiplier=1, isActive=False)
    prog.settings(saleActivityId="closed")
    assert refused(lambda: order(prog, member, "o-3", "5.00")) == (409, "activity_inactive")
    assert prog.balance(member)["available"] == 10


def test_an_award_through_the_sale_activity_records_its_order_and_posting_it_again_is_a_replay_or_a_duplicate(prog):
    sale(prog)
    member = prog.member()
    made = prog.award(member, "sale", points=4, orderId="o-1")
    recorded = orders.get_order(TENANT, "o-1")
    assert recorded == {
        "orderId": "o-1",
        "memberId": member,
        "currency": "USD",
        "subtotal": None,
        "total": "4.00",
        "items": [],
        "orderedAt": "2026-01-07T09:00:00Z",
        "channel": "online",
        "pointsAwarded": 4,
        "pointsReturned": 0,
        "returnedAmount": "0.00",
        "transactionIds": [made["transactionId"]],
        "createdAt": "2026-01-07T09:00:00Z",
        "updatedAt": "2026-01-07T09:00:00Z",
    }
    for same in ({}, {"currency": "USD", "channel": "online", "orderedAt": "2026-01-07T09:00:00Z", "items": []}):
        assert order(prog, member, "o-1", "4.00", **same) == Answer(recorded, 200)
    assert order(prog, member, "o-1", "4") == Answer(recorded, 200)  # the same amount
    for other in ({"total": "5.00"}, {"currency": "EUR"}, {"subtotal": "4.00"}, {"channel": "mobile"}):
        assert refused(lambda other=other: order(prog, member, "o-1", **{"total": "4.00", **other})) == (
            409,
            "duplicate",
        )
    assert refused(lambda: order(prog, prog.member(), "o-1", "4.00")) == (409, "duplicate")
    assert orders.get_order(TENANT, "o-1") == recorded
    assert prog.balance(member)["available"] == 4


def test_a_member_s_orders_are_listed_newest_first(prog):
    sale(prog)
    member, other, idle = prog.member(), prog.member(), prog.member()
    made = []
    for n in range(3):
        made.append(order(prog, member, f"o-{n}", "1.00"))
        prog.clock.advance(minutes=1)
    order(prog, other, "o-other", "1.00")

    def listed(who=member, **query):
        return orders.list_member_orders(TENANT, who, OrderListQuery.model_validate(query))

    assert listed().items == made[::-1]
    assert listed(idle).items == []
    assert refused(lambda: listed("no-such-member")) == (404, "not_found")
    foreign_token_refused(listed, {}, {}, other=lambda **query: listed(other, **query))


def test_a_return_answers_its_share_its_moves_and_the_order_as_it_is_after_it(prog):
    sale(prog)
    member = prog.member()
    made = order(prog, member, "o-1", "10.99")  # 10 points
    prog.clock.advance(hours=1)
    first = give_back(prog, "o-1", returnedAmount="1.00")  # 9.99 left keeps 9: 1 back (seed 001)
    assert {k: v for k, v in first.items() if k not in {"returnId", "transactionId", "order"}} == {
        "orderId": "o-1",
        "memberId": member,
        "returnedAmount": "1.00",
        "points": 1,
        "cancelledPendingPoints": 0,
        "deductedPoints": 1,
        "deficitPoints": 0,
        "createdAt": "2026-01-07T10:00:00Z",
    }
    assert first["order"] == {
        **made,
        "pointsReturned": 1,
        "returnedAmount": "1.00",
        "transactionIds": [*made["transactionIds"], first["transactionId"]],
        "updatedAt": "2026-01-07T10:00:00Z",
    }
    assert orders.get_order(TENANT, "o-1") == first["order"]
    entry = transactions.get_transaction(TENANT, first["transactionId"])
    assert (entry["type"], entry["status"], entry["points"], entry["orderId"]) == ("return", "approved", 1, "o-1")
    assert (entry["reason"], entry["deficitPoints"], entry["balanceAfter"]) == (
        "order return",
        0,
        {"available": 9, "pending": 0},
    )
    award = transactions.get_transaction(TENANT, made["transactionIds"][0])
    assert (award["status"], award["returnedPoints"], award["cancelledPoints"]) == ("approved", 1, 0)
    second = give_back(prog, "o-1", returnedAmount="1.00")  # 8.99 left keeps 8: 1 more, not 2
    assert (second["points"], second["deductedPoints"]) == (1, 1)
    assert second["returnId"] != first["returnId"]
    third = give_back(prog, "o-1", returnedAmount="5.00")  # 3.99 left keeps 3: 10 - 3 - 2 = 5
    assert (third["points"], third["order"]["pointsReturned"]) == (5, 7)
    last = give_back(prog, "o-1")  # the 3.99 left completes the order: all 10
    assert (last["points"], last["returnedAmount"], last["order"]["returnedAmount"]) == (3, "3.99", "10.99")
    assert last["order"]["transactionIds"] == [
        *made["transactionIds"],
        *(r["transactionId"] for r in (first, second, third, last)),
    ]
    assert transactions.get_transaction(TENANT, made["transactionIds"][0])["returnedPoints"] == 10  # 1 + 1 + 5 + 3
    assert prog.balance(member) == book()
    assert refused(lambda: give_back(prog, "no-such-order")) == (404, "not_found")


def test_a_return_of_points_without_tier_credit_takes_back_lifetime_points_only(prog):
    sale(prog, qualifiedPoints=False)
    member = prog.member()
    prog.award(member, prog.activity("visit", points=10))
    order(prog, member, "o-1", "8.00")
    assert prog.balance(member) == book(available=18, lifetime=18, qualified=10)
    give_back(prog, "o-1", returnedAmount="2.00")
    assert prog.balance(member) == book(available=16, lifetime=16, qualified=10)


def test_a_return_that_cancels_every_pending_point_rejects_the_award_and_a_partial_one_keeps_it_pending(prog):
    sale(prog, approvalMethod="manual")
    member = prog.member()
    (transaction_id,) = order(prog, member, "o-1", "20.00")["transactionIds"]
    partial = give_back(prog, "o-1", returnedAmount="5.00")
    assert (partial["points"], partial["cancelledPendingPoints"], partial["transactionId"]) == (5, 5, None)
    pending = transactions.get_transaction(TENANT, transaction_id)
    assert (pending["status"], pending["cancelledPoints"], pending["reason"]) == ("pending", 5, "order")
    rest = give_back(prog, "o-1")
    assert (rest["points"], rest["cancelledPendingPoints"], rest["deductedPoints"]) == (15, 15, 0)
    rejected = transactions.get_transaction(TENANT, transaction_id)
    assert (rejected["status"], rejected["cancelledPoints"], rejected["reason"]) == ("rejected", 20, "order returned")
    assert rest["order"]["transactionIds"] == [transaction_id]
    assert prog.balance(member) == book()


def test_a_pending_award_partly_cancelled_then_approved_gives_back_only_what_is_left_of_it(prog):
    sale(prog, approvalMethod="manual")
    member = prog.member()
    (transaction_id,) = order(prog, member, "o-1", "20.00")["transactionIds"]
    give_back(prog, "o-1", returnedAmount="5.00")
    transactions.approve(prog.caller, transaction_id)
    assert prog.balance(member) == book(available=15, lifetime=15, qualified=15)
    rest = give_back(prog, "o-1")
    assert (rest["points"], rest["cancelledPendingPoints"], rest["deductedPoints"]) == (15, 0, 15)
    award = transactions.get_transaction(TENANT, transaction_id)
    assert (award["cancelledPoints"], award["returnedPoints"]) == (5, 15)
    assert prog.balance(member) == book()


def test_an_order_takes_at_most_a_hundred_returns(prog):
    sale(prog)
    member = prog.member()
    order(prog, member, "o-1", "100.00")
    for _ in range(100):
        give_back(prog, "o-1", returnedAmount="0.01")
    assert refused(lambda: give_back(prog, "o-1", returnedAmount="0.01")) == (409, "invalid_state")
    assert orders.get_order(TENANT, "o-1")["returnedAmount"] == "1.00"


def due_for_approval():
    """The transaction ids on the due-approval index (delayed awards) at any time from now on."""
    return [entry["transactionId"] for entry in ledger_db.due(TENANT, "2099-01-01T00:00:00Z")[0]]


def test_a_delayed_award_stays_due_for_approval_until_a_return_cancels_all_of_it(prog):
    sale(prog, approvalMethod="delayed")
    member = prog.member()
    (transaction_id,) = order(prog, member, "o-1", "20.00")["transactionIds"]
    assert due_for_approval() == [transaction_id]
    give_back(prog, "o-1", returnedAmount="5.00")
    assert due_for_approval() == [transaction_id]  # 15 points still pending: still due
    give_back(prog, "o-1")
    assert due_for_approval() == []  # rejected: settled, off the index


def test_a_return_transaction_records_the_points_already_spent_as_its_deficit(prog):
    sale(prog)
    member = prog.member()
    order(prog, member, "o-1", "10.00")
    prog.deduct(member, 8)
    back = give_back(prog, "o-1")
    assert (back["points"], back["deductedPoints"], back["deficitPoints"]) == (10, 2, 8)
    entry = transactions.get_transaction(TENANT, back["transactionId"])
    assert (entry["points"], entry["deficitPoints"], entry["balanceAfter"]) == (2, 8, {"available": 0, "pending": 0})


@pytest.mark.parametrize("approval", ["immediate", "manual"])
def test_a_return_worth_no_point_moves_nothing_and_one_worth_a_point_moves_exactly_one(prog, approval):
    sale(prog, approvalMethod=approval)
    member = prog.member()
    (transaction_id,) = order(prog, member, "o-1", "20.50")["transactionIds"]  # 20 points
    before = members.get_member(TENANT, member)
    prog.clock.advance(hours=1)
    nothing = give_back(prog, "o-1", returnedAmount="0.50")  # 20.00 left keeps all 20
    assert (nothing["points"], nothing["cancelledPendingPoints"], nothing["deductedPoints"]) == (0, 0, 0)
    assert members.get_member(TENANT, member) == before  # not even its updatedAt
    award = transactions.get_transaction(TENANT, transaction_id)
    assert (award["cancelledPoints"], award["returnedPoints"]) == (0, 0)
    one = give_back(prog, "o-1", returnedAmount="0.50")  # 19.50 left keeps 19: 1 back
    assert (one["points"], one["cancelledPendingPoints"] + one["deductedPoints"]) == (1, 1)
    award = transactions.get_transaction(TENANT, transaction_id)
    assert award["cancelledPoints" if approval == "manual" else "returnedPoints"] == 1
