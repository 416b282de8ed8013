"""Reversing an offer redemption over the local API (issue 23 item 5): the use back to the offer's total and to the
member's limit in the window it was counted in, a points offer's points taken back as a `return` transaction
(deficit as for order returns), the (offerCode, orderId) pair still used, once."""

from datetime import UTC, datetime

import pytest

from tests.support.concurrency import at_once
from tests.support.frozen_clock import frozen_at
from tests.support.ledger import activity, assert_ledger_clean, award, member
from tests.support.local import ok, tenant_digest
from tests.support.offers import outcome, publish, redeem

pytestmark = pytest.mark.xdist_group("concurrency")


@pytest.fixture
def frozen():
    yield from frozen_at(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))


def reverse(tenant, redemption_id, body=None, **kwargs):
    return tenant.integration.post(
        f"/offer-redemptions/{redemption_id}/reverse", {} if body is None else body, **kwargs
    )


def balance(tenant, member_id):
    return tenant.read.get(f"/members/{member_id}").data["balance"]


def returns(tenant, member_id):
    return tenant.read.get(f"/members/{member_id}/transactions?type=return").data


def test_reversing_a_points_redemption_takes_the_points_back_once(tenant):
    created = publish(tenant, "PTS", maxRedemptionsPerMember=1, maxRedemptionsTotal=1)
    m = member(tenant.integration, "p@example.com")
    first = ok(201, redeem(tenant, "PTS", memberId=m, orderId="o-1", value="9.00")).data
    assert first["status"] == "redeemed" and first["reversedAt"] is None and first["deficitPoints"] is None
    assert balance(tenant, m)["available"] == 10
    assert redeem(tenant, "PTS", memberId=m, orderId="o-2").code == "offer_limit_reached"
    reply = ok(200, reverse(tenant, first["id"], {"reason": "Order cancelled"}))
    done = reply.data
    assert (done["status"], done["reversalReason"], done["deficitPoints"]) == ("reversed", "Order cancelled", 0)
    assert done["reversedAt"] and done["reversalTransactionId"]
    assert {k: v for k, v in done.items() if not k.startswith("revers") and k not in ("status", "deficitPoints")} == {
        k: v for k, v in first.items() if not k.startswith("revers") and k not in ("status", "deficitPoints")
    }
    (back,) = returns(tenant, m)
    assert (back["transactionId"], back["points"], back["deficitPoints"]) == (done["reversalTransactionId"], 10, 0)
    assert balance(tenant, m)["available"] == 0 and balance(tenant, m)["lifetime"] == 0
    assert tenant.read.get(f"/offer-redemptions/{first['id']}").data == done
    assert tenant.read.get(f"/offers/{created['offerId']}").data["redemptionCount"] == 0
    # every later call answers the same redemption, and changes nothing
    assert [reverse(tenant, first["id"], body).text for body in ({}, {"reason": "again"})] == [reply.text] * 2
    assert len(returns(tenant, m)) == 1
    # the (offerCode, orderId) pair stays used: the same request answers the reversed redemption, other data 409
    assert ok(200, redeem(tenant, "PTS", memberId=m, orderId="o-1", value="9.00")).data == done
    assert redeem(tenant, "PTS", memberId=m, orderId="o-1", value="8.00").code == "already_redeemed"
    # the use is back to both limits: the member may redeem again
    again = ok(201, redeem(tenant, "PTS", memberId=m, orderId="o-3")).data
    assert again["status"] == "redeemed" and balance(tenant, m)["available"] == 10
    assert tenant.read.get(f"/offers/{created['offerId']}").data["redemptionCount"] == 1
    listed = tenant.read.get(f"/members/{m}/offer-redemptions").data["redemptions"]
    assert [(r["id"], r["status"]) for r in listed] == [(again["id"], "redeemed"), (first["id"], "reversed")]
    assert_ledger_clean(tenant.tenant_id)


def test_points_already_spent_are_the_deficit_as_for_order_returns(tenant):
    publish(tenant, "SPENT")
    activity(tenant.admin, "bonus", points=3)
    m = member(tenant.integration, "s@example.com")
    partly = ok(201, redeem(tenant, "SPENT", memberId=m, orderId="o-1")).data
    all_of_it = ok(201, redeem(tenant, "SPENT", memberId=m, orderId="o-2")).data
    ok(201, tenant.integration.post(f"/members/{m}/deductions", {"points": 14, "reason": "spent"}))  # 6 left
    one = ok(200, reverse(tenant, partly["id"])).data
    assert (one["deficitPoints"], one["reversalReason"]) == (4, None)
    (back,) = returns(tenant, m)
    assert (back["points"], back["deficitPoints"]) == (6, 4) and balance(tenant, m)["available"] == 0
    two = ok(200, reverse(tenant, all_of_it["id"])).data  # nothing left to take: no return transaction
    assert (two["deficitPoints"], two["reversalTransactionId"]) == (10, None)
    assert len(returns(tenant, m)) == 1 and balance(tenant, m)["available"] == 0
    ok(201, award(tenant.integration, m, "bonus"))
    assert balance(tenant, m)["available"] == 3  # a deficit is not owed from later points, as for returns
    assert_ledger_clean(tenant.tenant_id)


def test_a_money_offer_and_one_without_a_member_give_the_use_back(tenant):
    created = publish(tenant, "AMT", rewardType="amount", offerAmount="5.00", maxRedemptionsTotal=1)
    first = ok(201, redeem(tenant, "AMT", orderId="o-1", value="20.00")).data
    assert redeem(tenant, "AMT", orderId="o-2", value="20.00").code == "offer_limit_reached"
    done = ok(200, reverse(tenant, first["id"], {"reason": "void"})).data
    assert (done["status"], done["deficitPoints"], done["reversalTransactionId"]) == ("reversed", 0, None)
    assert done["rewardAmount"] == first["rewardAmount"] == "5.00"
    ok(201, redeem(tenant, "AMT", orderId="o-2", value="20.00"))
    assert tenant.read.get(f"/offers/{created['offerId']}").data["redemptionCount"] == 1
    assert_ledger_clean(tenant.tenant_id)


def test_the_use_goes_back_to_the_window_it_was_counted_in(tenant, frozen):
    created = publish(tenant, "DAY", maxRedemptionsPerMember=1, maxRedemptionsPerMemberInterval="day")
    m = member(tenant.integration, "d@example.com")
    monday = ok(201, redeem(tenant, "DAY", memberId=m, orderId="o-1")).data
    frozen.advance(days=1)
    tuesday = ok(201, redeem(tenant, "DAY", memberId=m, orderId="o-2")).data
    ok(200, reverse(tenant, monday["id"]))  # yesterday's window gets it back, not today's
    assert redeem(tenant, "DAY", memberId=m, orderId="o-3").code == "offer_limit_reached"
    assert_ledger_clean(tenant.tenant_id)
    ok(200, reverse(tenant, tuesday["id"]))
    ok(201, redeem(tenant, "DAY", memberId=m, orderId="o-3"))
    assert tenant.read.get(f"/offers/{created['offerId']}").data["redemptionCount"] == 1
    assert_ledger_clean(tenant.tenant_id)


def test_a_total_limit_lowered_under_the_uses_stays_exact_through_reversals(tenant):
    created = publish(tenant, "LOW", rewardType="amount", offerAmount="1.00", maxRedemptionsTotal=3)
    made = [ok(201, redeem(tenant, "LOW", orderId=f"o-{i}", value="5.00")).data for i in range(3)]
    ok(200, tenant.admin.patch(f"/offers/{created['offerId']}", {"maxRedemptionsTotal": 1}))
    ok(200, reverse(tenant, made[0]["id"]))
    assert_ledger_clean(tenant.tenant_id)  # caps follow the uses down while they are above the limit
    assert redeem(tenant, "LOW", orderId="o-9", value="5.00").code == "offer_limit_reached"  # 2 uses, limit 1
    ok(200, reverse(tenant, made[1]["id"]))
    ok(200, reverse(tenant, made[2]["id"]))
    ok(201, redeem(tenant, "LOW", orderId="o-9", value="5.00"))
    assert redeem(tenant, "LOW", orderId="o-10", value="5.00").code == "offer_limit_reached"
    assert tenant.read.get(f"/offers/{created['offerId']}").data["redemptionCount"] == 1
    assert_ledger_clean(tenant.tenant_id)


def test_unknown_foreign_and_bad_input_are_refused_and_store_nothing(tenant, local_api):
    publish(tenant, "BAD")
    m = member(tenant.integration, "b@example.com")
    made = ok(201, redeem(tenant, "BAD", memberId=m, orderId="o-1")).data
    stranger = local_api.new_tenant()
    before = tenant_digest(tenant.tenant_id)
    for client, ref in (
        (tenant.integration, "01ARZ3NDEKTSV4RRFFQ69G5FAV"),
        (tenant.integration, "nope"),
        (stranger.integration, made["id"]),
    ):
        reply = client.post(f"/offer-redemptions/{ref}/reverse", {})
        assert reply.status == 404 and reply.code == "not_found", reply.text
    for bad in ({"reason": 7}, {"reason": ""}, {"reason": "x" * 501}, {"reason": None}, {"extra": 1}, []):
        reply = tenant.integration.post(
            f"/offer-redemptions/{made['id']}/reverse", bad, headers={"Idempotency-Key": "k"}
        )
        assert reply.status == 400 and reply.code == "validation_error", (bad, reply.text)
    assert tenant.read.post(f"/offer-redemptions/{made['id']}/reverse", {}).status == 403
    assert tenant_digest(tenant.tenant_id) == before  # no 4xx wrote anything, not even an idempotency record
    assert tenant.read.get(f"/offer-redemptions/{made['id']}").data == made
    assert balance(tenant, m)["available"] == 10 and returns(tenant, m) == []
    keyed = ok(200, reverse(tenant, made["id"], {"reason": "ok"}, headers={"Idempotency-Key": "k"}))
    assert keyed.data["status"] == "reversed"  # the 400s stored no idempotency record under "k"
    replay = reverse(tenant, made["id"], {"reason": "ok"}, headers={"Idempotency-Key": "k"})
    assert replay.text == keyed.text and replay.headers.get("idempotent-replayed") == "true"
    assert reverse(tenant, made["id"], {"reason": "other"}, headers={"Idempotency-Key": "k"}).status == 422
    assert_ledger_clean(tenant.tenant_id)


def test_20_concurrent_reversals_of_one_redemption_have_one_effect(local_api, tenant):
    publish(tenant, "RACE")
    m = member(tenant.integration, "r@example.com")
    made = ok(201, redeem(tenant, "RACE", memberId=m, orderId="o-1")).data
    replies = at_once(local_api, 20, lambda i: reverse(tenant, made["id"], {"reason": f"r{i}"}))
    assert outcome(replies) == {(200, None): 20}, outcome(replies)
    assert len({r.text for r in replies}) == 1  # all the same body: the one reversal that committed
    assert len(returns(tenant, m)) == 1 and balance(tenant, m)["available"] == 0
    assert_ledger_clean(tenant.tenant_id)


def test_a_reversal_racing_new_redemptions_at_the_limit_never_passes_it(local_api, tenant):
    created = publish(tenant, "EDGE", maxRedemptionsTotal=2, maxRedemptionsPerMember=1)
    offer_id = created["offerId"]
    members = iter(member(tenant.integration, f"e{i}@example.com") for i in range(40))
    live = []
    for round_ in range(3):  # at the limit, one reversal and 9 redemptions at once
        while len(live) < 2:
            live.append(
                ok(201, redeem(tenant, "EDGE", memberId=next(members), orderId=f"top-{round_}-{len(live)}")).data
            )
        victim, newcomers = live.pop(0), [next(members) for _ in range(9)]

        def call(i, victim=victim, newcomers=newcomers, round_=round_):
            if i == 0:
                return reverse(tenant, victim["id"])
            return redeem(tenant, "EDGE", memberId=newcomers[i - 1], orderId=f"n-{round_}-{i}")

        replies = at_once(local_api, 10, call)
        assert replies[0].status == 200, replies[0].text
        won = [r.data for r in replies[1:] if r.status == 201]
        assert len(won) <= 1 and all(r.code == "offer_limit_reached" for r in replies[1:] if r.status != 201)
        assert tenant.read.get(f"/offers/{offer_id}").data["redemptionCount"] == 1 + len(won)
        live += won
        assert_ledger_clean(tenant.tenant_id)
    # a reversed member's own limit came back too: it may redeem again while the total has room
    while len(live) > 1:
        ok(200, reverse(tenant, live.pop()["id"]))
    ok(201, redeem(tenant, "EDGE", memberId=victim["memberId"], orderId="again"))
    assert_ledger_clean(tenant.tenant_id)
