"""Exact amounts, codes and records of orders and returns, the points book, awards and reward redemptions (§4 to §7)."""

import pytest
from loyalty.errors import Conflict, NotFound
from loyalty.models.members import MemberUpdate
from loyalty.models.orders import OrderListQuery, OrderReturnCreate
from loyalty.repository import ledger as ledger_db
from loyalty.repository import orders as orders_db
from loyalty.repository import store
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


# Seed rules of contract §10: partial returns keep what the remaining value earns; award orders are orders.


def preview(prog, order_id, **body):
    """A return's dryRun answer (200), which must give the figures the return then gives."""
    answer = give_back(prog, order_id, dryRun=True, **body)
    assert isinstance(answer, Answer) and answer.status == 200, answer
    return answer.data


def figures(answer):
    return {k: answer[k] for k in ("points", "cancelledPendingPoints", "deductedPoints", "deficitPoints")}


def returned(prog, order_id, **body):
    """The points a return takes back, checked against its preview first."""
    shown = preview(prog, order_id, **body)
    made = give_back(prog, order_id, **body)
    assert figures(shown) == figures(made), (shown, made)
    return made["points"]


def test_the_seed_example_a_10_99_order_keeps_9_after_1_00_back_then_8(prog):
    sale(prog)
    member = prog.member()
    order(prog, member, "o-1", "10.99")
    assert [returned(prog, "o-1", returnedAmount="1.00") for _ in range(2)] == [1, 1]
    assert prog.balance(member) == book(available=8, lifetime=8, qualified=8)


@pytest.mark.parametrize(
    ("multiplier", "total", "amounts", "points"),
    [
        (1, "10.00", ["0.01", "0.99", "0.01"], [1, 0, 1]),  # 9.99 keeps 9; 9.00 keeps 9; 8.99 keeps 8
        (1, "10.00", ["10.00"], [10]),  # the whole total given as an amount: every point
        (1, "10.00", ["9.99", "0.01"], [10, 0]),  # 0.01 left keeps nothing
        (1, "0.01", ["0.01"], [0]),  # an order that earned nothing gives nothing back
        (1.5, "10.00", ["0.66", "0.01", "0.33", "1.00"], [1, 1, 0, 1]),  # 14.01, 13.995, 13.5, 12.0 kept: floored
        (2, "100.00", ["33.33", "33.33", "33.34"], [67, 67, 66]),  # 133.34, 66.68, 0 kept
        (0.5, "3.00", ["1.00", "1.00", "1.00"], [0, 1, 0]),  # 1.0, 0.5, 0 kept of 1 point
        (3, "0.99", ["0.33", "0.33", "0.33"], [1, 1, 0]),  # of floor(2.97) = 2: 1.98 keeps 1, 0.99 keeps 0
    ],
)
def test_a_return_takes_back_what_the_order_earned_less_what_its_remaining_value_earns(
    prog, multiplier, total, amounts, points
):
    sale(prog, multiplier=multiplier)
    member = prog.member()
    made = order(prog, member, "o-1", total)
    assert [returned(prog, "o-1", returnedAmount=amount) for amount in amounts] == points
    back = orders.get_order(TENANT, "o-1")
    assert back["pointsReturned"] == sum(points)
    assert prog.balance(member)["available"] == made["pointsAwarded"] - sum(points)


def test_a_fixed_sale_activity_s_points_are_kept_until_the_order_is_all_returned(prog):
    sale(prog, type="fixed", points=7)
    member = prog.member()
    order(prog, member, "o-1", "10.00")
    assert returned(prog, "o-1", returnedAmount="9.99") == 0  # 0.01 left still earns the fixed 7
    assert returned(prog, "o-1", returnedAmount="0.01") == 7  # nothing left: all of it
    assert prog.balance(member) == book()


def test_an_order_recorded_before_earnings_were_stored_gives_back_in_proportion(prog):
    sale(prog, multiplier=1.5)
    member = prog.member()
    order(prog, member, "o-1", "3.00")  # floor(4.5) = 4
    stored = store.get(orders_db.key(TENANT, "o-1"))
    store.put_plain({k: v for k, v in stored.items() if k != "earnings"})
    # the multiplier would keep floor(2.00 * 1.5) = 3; the share keeps floor(4 * 2.00 / 3.00) = 2
    assert returned(prog, "o-1", returnedAmount="1.00") == 2
    assert returned(prog, "o-1", returnedAmount="1.00") == 1  # floor(4 * 1.00 / 3.00) = 1 kept
    assert returned(prog, "o-1") == 1
    assert prog.balance(member) == book()


def test_awards_of_several_activities_on_one_order_each_keep_their_share_and_a_full_return_takes_all(prog):
    sale(prog, multiplier=2)
    prog.activity("double", type="multiplier", multiplier=1)
    prog.activity("half", type="multiplier", multiplier=0.5, approvalMethod="manual")
    member = prog.member()
    first = prog.award(member, "sale", points=10, orderId="o-1")  # records o-1, total 10.00: 20 points
    prog.clock.advance(minutes=1)
    second = prog.award(member, "double", points=10, orderId="o-1")  # joins: 10 points
    third = prog.award(member, "half", points=5, orderId="o-1")  # a base of its own, pending: 2 points
    joined = orders.get_order(TENANT, "o-1")
    assert (joined["total"], joined["pointsAwarded"], joined["updatedAt"]) == ("10.00", 32, "2026-01-07T09:01:00Z")
    assert joined["transactionIds"] == [first["transactionId"], second["transactionId"], third["transactionId"]]
    assert refused(lambda: prog.award(member, "double", points=10, orderId="o-1")) == (409, "duplicate")
    # 7.50 left keeps floor(15.0) + floor(7.5) + floor(5 * 0.5 * 0.75 = 1.875): 15 + 7 + 1 = 23, so 9 back,
    # the pending points of the order first
    back = give_back(prog, "o-1", returnedAmount="2.50")
    assert (back["points"], back["cancelledPendingPoints"], back["deductedPoints"]) == (9, 2, 7)
    pending = transactions.get_transaction(TENANT, third["transactionId"])
    assert (pending["status"], pending["cancelledPoints"]) == ("rejected", 2)
    assert transactions.get_transaction(TENANT, first["transactionId"])["returnedPoints"] == 7
    rest = give_back(prog, "o-1")
    assert (rest["points"], rest["cancelledPendingPoints"], rest["deductedPoints"]) == (23, 0, 23)
    assert [transactions.get_transaction(TENANT, t["transactionId"])["returnedPoints"] for t in (first, second)] == [
        20,
        10,
    ]
    assert prog.balance(member) == book()


def test_an_award_joins_an_order_recorded_by_post_orders_and_its_return_takes_both_back(prog):
    sale(prog)
    prog.activity("promo", type="multiplier", multiplier=3)
    member = prog.member()
    made = order(prog, member, "o-1", "5.50")  # 5 points
    extra = prog.award(member, "promo", points=5, orderId="o-1")  # 15 points on the same order
    assert orders.get_order(TENANT, "o-1")["transactionIds"] == [*made["transactionIds"], extra["transactionId"]]
    assert order(prog, member, "o-1", "5.50") == Answer(orders.get_order(TENANT, "o-1"), 200)
    assert returned(prog, "o-1", returnedAmount="0.50") == 2  # 5.00 keeps 5 + floor(15 * 5.00 / 5.50) = 13
    assert returned(prog, "o-1") == 18
    assert prog.balance(member) == book()


def test_an_award_can_not_join_another_member_s_order_a_returned_one_or_an_eleventh_activity(prog):
    sale(prog)
    member, other = prog.member(), prog.member()
    order(prog, member, "o-1", "5.00")
    for n in range(10):
        prog.activity(f"a{n}", type="multiplier", multiplier=1)
    assert refused(lambda: prog.award(other, "a0", points=5, orderId="o-1")) == (409, "duplicate")
    for n in range(9):
        prog.award(member, f"a{n}", points=5, orderId="o-1")
    assert refused(lambda: prog.award(member, "a9", points=5, orderId="o-1")) == (409, "invalid_state")
    order(prog, member, "o-2", "5.00")
    give_back(prog, "o-2", returnedAmount="0.01")
    assert refused(lambda: prog.award(member, "a0", points=5, orderId="o-2")) == (409, "invalid_state")
    assert len(orders.get_order(TENANT, "o-2")["transactionIds"]) == 2  # its award and its return only
    assert prog.balance(other) == book() and prog.balance(member)["available"] == 5 + 45 + 5 - 1


def test_a_fixed_activity_s_award_with_an_order_id_records_no_order(prog):
    prog.activity("visit", points=5)
    member = prog.member()
    prog.award(member, "visit", orderId="o-1")
    assert refused(lambda: orders.get_order(TENANT, "o-1")) == (404, "not_found")
    assert refused(lambda: prog.award(member, "visit", orderId="o-1")) == (409, "duplicate")


# --- issue 18, fourth session: the survivors of orders on today's code (award orders, cumulative returns) --------


def test_a_return_preview_answers_the_return_without_ids_and_writes_nothing_whatever_its_key(prog):
    """dryRun: the figures and the order as the return would leave them, but no returnId, no transaction and the
    order's transactions as they are; nothing is written; its Idempotency-Key is neither replayed nor stored."""
    sale(prog)
    member = prog.member()
    made = order(prog, member, "o-1", "10.00")
    prog.deduct(member, 8)
    before = (orders.get_order(TENANT, "o-1"), members.get_member(TENANT, member))
    prog.clock.advance(hours=1)
    shown = orders.return_order(prog.keyed("k-1"), "o-1", OrderReturnCreate.model_validate({"dryRun": True}))
    assert isinstance(shown, Answer) and shown.status == 200
    assert shown.data == {
        "returnId": None,
        "orderId": "o-1",
        "memberId": member,
        "returnedAmount": "10.00",
        "points": 10,
        "cancelledPendingPoints": 0,
        "deductedPoints": 2,
        "deficitPoints": 8,
        "transactionId": None,
        "createdAt": "2026-01-07T10:00:00Z",
        "order": {
            **made,
            "pointsReturned": 10,
            "returnedAmount": "10.00",
            "updatedAt": "2026-01-07T10:00:00Z",
        },
    }
    assert (orders.get_order(TENANT, "o-1"), members.get_member(TENANT, member)) == before
    done = orders.return_order(prog.keyed("k-1"), "o-1", OrderReturnCreate.model_validate({"returnedAmount": "5.00"}))
    assert (done["points"], done["returnId"] is not None) == (5, True)  # the key was not taken by the preview
    again = orders.return_order(prog.keyed("k-1"), "o-1", OrderReturnCreate.model_validate({"dryRun": True}))
    assert isinstance(again, Answer) and again.data["points"] == 5  # nor does a preview replay the key's answer


def test_a_return_adds_up_what_it_cancels_takes_and_finds_spent_over_every_award_of_the_order(prog):
    """Several awards on one order (§10): a return cancels each pending one in turn, then takes each approved one
    in turn, and answers the sums: cancelled, deducted, and the deficit of each approved award spent already."""
    sale(prog, approvalMethod="manual")
    prog.activity("extra", type="multiplier", multiplier=1, approvalMethod="manual")
    prog.activity("bonus", type="multiplier", multiplier=1)
    prog.activity("more", type="multiplier", multiplier=2)
    member = prog.member()
    made = order(prog, member, "o-1", "10.00")  # 10 pending
    awarded = [prog.award(member, name, points=10, orderId="o-1") for name in ("extra", "bonus", "more")]
    assert [a["points"] for a in awarded] == [10, 10, 20]  # 10 more pending, 30 approved
    prog.deduct(member, 25)  # 5 of the 30 left
    back = give_back(prog, "o-1")
    assert figures(back) == {"points": 50, "cancelledPendingPoints": 20, "deductedPoints": 5, "deficitPoints": 25}
    entries = [
        transactions.get_transaction(TENANT, t)
        for t in [*made["transactionIds"], *(a["transactionId"] for a in awarded)]
    ]
    assert [(e["status"], e["cancelledPoints"], e["returnedPoints"]) for e in entries] == [
        ("rejected", 10, 0),
        ("rejected", 10, 0),
        ("approved", 0, 10),
        ("approved", 0, 20),
    ]
    assert prog.balance(member) == book(available=0)


# --- issue 18, fifth session: the survivors of orders on the code of 745ab97 ------------------------------------


def test_an_unknown_order_read_or_returned_or_an_order_of_an_unknown_member_is_a_404_naming_it(prog):
    sale(prog)
    calls = {
        "order": (lambda: orders.get_order(TENANT, "no-such-order"), lambda: give_back(prog, "no-such-order")),
        "member": (lambda: order(prog, "no-such-member", "o-1", "5.00"),),
    }
    for what, each in calls.items():
        for call in each:
            with pytest.raises(NotFound) as missing:
                call()
            assert missing.value.message == f"The {what} does not exist."


def test_an_order_stored_before_returns_were_counted_counts_its_returns_from_nought(prog):
    """A new order is stored with 0 returns at version 0. An order item without `returns` (written before the
    count was kept) reads as 0 returns: it is returned, and its count is stored as 1 after its first return,
    2 after its second (its version moving by one with each)."""
    sale(prog)
    member = prog.member()
    order(prog, member, "o-1", "10.00")
    stored = store.get(orders_db.key(TENANT, "o-1"))
    assert (stored["returns"], stored["version"]) == (0, 0)  # returns: what MAX_RETURNS bounds
    store.put_plain({k: v for k, v in stored.items() if k != "returns"})

    def counted():
        again = store.get(orders_db.key(TENANT, "o-1"))
        return again["returns"], again["version"]

    assert returned(prog, "o-1", returnedAmount="1.00") == 1
    assert counted() == (1, 1)
    assert returned(prog, "o-1") == 9
    assert counted() == (2, 2)


def test_a_return_cancels_of_a_partly_cancelled_pending_award_only_what_is_left_then_the_next_award(prog):
    """Two pending awards on one order; a partial return cancels part of the first, the full return then
    cancels the first's rest (not more) and all of the second."""
    sale(prog, approvalMethod="manual")
    prog.activity("extra", type="multiplier", multiplier=1, approvalMethod="manual")
    member = prog.member()
    made = order(prog, member, "o-1", "20.00")  # 20 pending
    extra = prog.award(member, "extra", points=10, orderId="o-1")  # 10 more pending
    # 15.00 left keeps 15 + floor(10 * 15 / 20) = 22 of 30: 8 back, all of the first award
    first = give_back(prog, "o-1", returnedAmount="5.00")
    assert figures(first) == {"points": 8, "cancelledPendingPoints": 8, "deductedPoints": 0, "deficitPoints": 0}
    rest = give_back(prog, "o-1")
    assert figures(rest) == {"points": 22, "cancelledPendingPoints": 22, "deductedPoints": 0, "deficitPoints": 0}
    entries = [transactions.get_transaction(TENANT, t) for t in [*made["transactionIds"], extra["transactionId"]]]
    assert [(e["status"], e["cancelledPoints"]) for e in entries] == [("rejected", 20), ("rejected", 10)]
    assert prog.balance(member) == book()


def test_an_order_whose_id_earned_through_a_fixed_sale_activity_already_is_a_duplicate(prog):
    """An award through a fixed sale activity with an orderId records no order but marks the orderId earned:
    POST /orders of that orderId then earns nothing more and records nothing (409 duplicate)."""
    sale(prog, type="fixed", points=7)
    member = prog.member()
    prog.award(member, "sale", orderId="o-1")
    with pytest.raises(Conflict) as earned:
        order(prog, member, "o-1", "5.00")
    assert (earned.value.code, earned.value.message) == (
        "duplicate",
        "This orderId has already earned points through the sale activity.",
    )
    assert refused(lambda: orders.get_order(TENANT, "o-1")) == (404, "not_found")
    assert order(prog, member, "o-2", "5.00")["pointsAwarded"] == 7  # another orderId earns
    assert prog.balance(member)["available"] == 14


def test_a_return_takes_of_each_approved_award_only_what_is_left_of_it_then_the_next_award(prog):
    """Two approved awards on one order: the first partly cancelled while pending, then approved; a full
    return takes its rest (its points less those cancelled), then the second. A first award all taken back
    by one return gives nothing to the next, which takes all of it from the second award."""
    sale(prog, approvalMethod="manual")
    prog.activity("bonus", type="multiplier", multiplier=1)
    member = prog.member()
    (first,) = order(prog, member, "o-1", "20.00")["transactionIds"]  # 20 pending
    second = prog.award(member, "bonus", points=10, orderId="o-1")["transactionId"]  # 10 approved
    # 15.00 left keeps 15 + floor(10 * 15 / 20) = 22 of 30: 8 back, the pending ones first
    assert figures(give_back(prog, "o-1", returnedAmount="5.00"))["cancelledPendingPoints"] == 8
    transactions.approve(prog.caller, first)
    rest = give_back(prog, "o-1")
    assert figures(rest) == {"points": 22, "cancelledPendingPoints": 0, "deductedPoints": 22, "deficitPoints": 0}
    entries = [transactions.get_transaction(TENANT, t) for t in (first, second)]
    assert [(e["status"], e["cancelledPoints"], e["returnedPoints"]) for e in entries] == [
        ("approved", 8, 12),
        ("approved", 0, 10),
    ]
    assert prog.balance(member) == book()

    prog.activity("shop", type="multiplier", multiplier=1)  # immediate
    prog.settings(saleActivityId="shop")
    other = prog.member()
    (third,) = order(prog, other, "o-2", "10.00")["transactionIds"]  # 10 approved
    fourth = prog.award(other, "bonus", points=10, orderId="o-2")["transactionId"]  # 10 more
    # 5.00 left keeps 5 + 5 = 10 of 20: 10 back, all of the first award
    assert figures(give_back(prog, "o-2", returnedAmount="5.00"))["deductedPoints"] == 10
    last = give_back(prog, "o-2")  # the first has nothing left: all 10 of the second
    assert figures(last) == {"points": 10, "cancelledPendingPoints": 0, "deductedPoints": 10, "deficitPoints": 0}
    assert [transactions.get_transaction(TENANT, t)["returnedPoints"] for t in (third, fourth)] == [10, 10]
    assert prog.balance(other) == book()
