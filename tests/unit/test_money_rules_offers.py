"""Exact amounts, codes and records of offer redemptions, their limits and the checker's offer part (§8)."""

from datetime import UTC, datetime

import pytest
from loyalty.errors import ApiError, ValidationFailed
from loyalty.models.members import MemberUpdate
from loyalty.models.offers import MemberRedemptionsQuery, OfferRedemptionListQuery, OfferRedemptionReverse
from loyalty.models.segments import SegmentCreate
from loyalty.repository import activations as activations_db
from loyalty.repository import ledger as ledger_db
from loyalty.repository import store
from loyalty.services import members, offer_redemptions, offers, segments, summary, transactions

from tests.support.money import (
    TENANT,
    book,
    foreign_token_refused,
    give,
    invalid_fields,
    offer,
    offer_problems,
    refused,
    replayed_status,
    use,
)

pytestmark = pytest.mark.usefixtures("fresh_table")


NOT_REVERSED = {  # issue 23: a redemption's reversal fields until it is reversed
    "status": "redeemed",
    "reversedAt": None,
    "reversalReason": None,
    "reversalTransactionId": None,
    "deficitPoints": None,
}


def without_id(record):
    return {k: v for k, v in record.items() if k != "id"}


def test_an_offer_redemption_records_its_order_its_offer_and_its_reward_exactly(prog):
    offer_id = offer(prog, "REC", rewardType="percentage", offerAmount="10", contentIds=["sku-1", "sku-2"])
    member = prog.member()
    sent = {"orderId": "o-1", "value": "25.00", "currency": "USD", "contentIds": ["sku-2", "sku-9"]}
    made = use(prog, "REC", member, redeemedAt="2026-01-07T08:00:00Z", **sent)
    assert without_id(made) == {
        "offerId": offer_id,
        "offerCode": "REC",
        "memberId": member,
        "orderId": "o-1",
        "redeemedAt": "2026-01-07T08:00:00Z",
        "currency": "USD",
        "value": "25.00",
        "rewardType": "percentage",
        "rewardAmount": "2.50",
        "points": None,
        "contentIds": ["sku-2", "sku-9"],
        "transactionId": None,
        "createdAt": "2026-01-07T09:00:00Z",
        **NOT_REVERSED,
    }
    assert offer_redemptions.get_redemption(TENANT, made["id"]) == made
    again = use(prog, "REC", member, redeemedAt="2026-01-07T08:00:00Z", **sent)  # the same order: as it was
    assert (again.status, again.data) == (200, made)
    assert prog.balance(member) == book()  # a money offer moves no points
    plain = use(prog, "REC", value="10.00", contentIds=["sku-1"])  # no member, no order: redeemed now
    assert without_id(plain) == {
        **without_id(made),
        "memberId": None,
        "orderId": None,
        "redeemedAt": "2026-01-07T09:00:00Z",
        "value": "10.00",
        "rewardAmount": "1.00",
        "contentIds": ["sku-1"],
    }
    assert plain["id"] != made["id"]
    assert refused(lambda: offer_redemptions.get_redemption(TENANT, "no-such-redemption")) == (404, "not_found")


def test_a_points_offer_awards_its_points_as_an_approved_award_that_expires_like_any_other(prog):
    offer(prog, "PTS", rewardType="points", offerAmount="30")
    member = prog.member()
    made = use(prog, "PTS", member, orderId="o-7")
    assert (made["points"], made["rewardAmount"], made["rewardType"]) == (30, None, "points")
    entry = transactions.get_transaction(TENANT, made["transactionId"])
    assert (entry["type"], entry["status"], entry["points"], entry["memberId"]) == ("award", "approved", 30, member)
    assert (entry["orderId"], entry["reason"], entry["activityId"]) == ("o-7", "offer PTS", None)
    assert entry["expiresAt"] == "2026-02-06T23:59:59Z"  # earned 2026-01-07, spendable for 30 days
    assert entry["balanceAfter"] == {"available": 30, "pending": 0}
    stored = store.get(ledger_db.key(TENANT, made["transactionId"]))
    assert (stored["offerId"], stored["offerRedemptionId"], stored["qualified"]) == (made["offerId"], made["id"], True)
    assert summary.summary(TENANT, member)["lastAward"] == {
        "date": "2026-01-07T09:00:00Z",
        "points": 30,
        "activityName": None,
    }
    assert prog.balance(member) == book(available=30, lifetime=30, qualified=30)


def test_an_offer_redemption_is_refused_with_the_first_rule_it_breaks(prog):
    offer(prog, "PCT", rewardType="percentage", offerAmount="10", minSpendAmount="20.00", contentIds=["sku-1"])
    offer(prog, "DRAFT", status="draft")
    member = prog.member()
    assert refused(lambda: use(prog, "NO-SUCH-CODE")) == (404, "not_found")
    assert refused(lambda: use(prog, "PCT", "no-such-member", value="30.00")) == (404, "not_found")
    assert refused(lambda: use(prog, "DRAFT")) == (409, "offer_not_active")
    assert invalid_fields(lambda: use(prog, "PCT", value="30.00", currency="EUR")) == ["currency"]
    assert invalid_fields(lambda: use(prog, "PCT")) == ["value"]  # a percentage needs the order's value
    assert refused(lambda: use(prog, "PCT", value="19.99", contentIds=["sku-1"])) == (409, "minimum_spend_not_met")
    assert refused(lambda: use(prog, "PCT", value="30.00", contentIds=["sku-2"])) == (409, "invalid_state")
    assert refused(lambda: use(prog, "PCT", value="30.00")) == (409, "invalid_state")  # no items named
    assert use(prog, "PCT", value="30.00", contentIds=["sku-2", "sku-1"])["rewardAmount"] == "3.00"
    members.update_member(prog.caller, member, MemberUpdate.model_validate({"status": "suspended"}))
    assert refused(lambda: use(prog, "PCT", member, value="30.00", contentIds=["sku-1"])) == (409, "invalid_state")
    offer(prog, "MIN", minSpendAmount="1.00")
    assert refused(lambda: use(prog, "MIN")) == (409, "minimum_spend_not_met")  # no value: not met


def test_redeemed_at_may_run_five_minutes_ahead_of_the_server_and_not_a_second_more(prog):
    offer(prog, "SKEW")
    assert use(prog, "SKEW", redeemedAt="2026-01-07T09:05:00Z")["redeemedAt"] == "2026-01-07T09:05:00Z"
    assert invalid_fields(lambda: use(prog, "SKEW", redeemedAt="2026-01-07T09:05:01Z")) == ["redeemedAt"]


@pytest.mark.parametrize(
    ("fields", "value", "reward"),
    [
        ({"rewardType": "amount", "offerAmount": "5"}, "3.00", "3.00"),  # never more than the order
        ({"rewardType": "amount", "offerAmount": "5"}, "4.999", "4.99"),  # taken down to the cent
        ({"rewardType": "amount", "offerAmount": "5"}, "5.01", "5.00"),
        ({"rewardType": "amount", "offerAmount": "5", "maxRewardAmount": "4.999"}, "9.00", "4.99"),
        ({"rewardType": "percentage", "offerAmount": "50", "maxRewardAmount": "2.00"}, "3.98", "1.99"),
        ({"rewardType": "percentage", "offerAmount": "50"}, "0.01", "0.01"),  # 0.005 half up, held to the value
        ({"rewardType": "amount", "offerAmount": "500", "currency": "JPY"}, "499", "499"),
        ({"rewardType": "percentage", "offerAmount": "15", "currency": "JPY"}, "1010", "152"),  # 151.5 half up
    ],
)
def test_a_money_reward_is_rounded_to_the_currency_and_held_to_its_cap_and_the_order(prog, fields, value, reward):
    offer(prog, "MONEY", **fields)
    made = use(prog, "MONEY", value=value)
    assert (made["rewardAmount"], made["points"], made["currency"]) == (reward, None, fields.get("currency", "USD"))


def ids_of(page):
    return [item["id"] for item in page.items]


def test_offer_redemptions_are_listed_newest_first_by_offer_code_and_within_from_and_to(prog):
    offer(prog, "ONE")
    offer(prog, "TWO")
    at = [f"2026-01-0{day}T12:00:00Z" for day in (3, 4, 5)]
    first, second, third = (
        use(prog, code, redeemedAt=when) for code, when in zip(("ONE", "TWO", "ONE"), at, strict=True)
    )

    def listed(**query):
        return offer_redemptions.list_redemptions(TENANT, OfferRedemptionListQuery.model_validate(query))

    assert ids_of(listed()) == [third["id"], second["id"], first["id"]]
    assert ids_of(listed(offerCode="ONE")) == [third["id"], first["id"]]
    assert listed(offerCode="NONE").items == []  # an unknown code: an empty page
    assert ids_of(listed(**{"from": at[1], "to": at[1]})) == [second["id"]]  # both ends included
    assert ids_of(listed(**{"from": at[1]})) == [third["id"], second["id"]]
    assert ids_of(listed(to=at[1])) == [second["id"], first["id"]]
    assert listed(offerCode="ONE").items[0] == third
    assert invalid_fields(lambda: listed(**{"from": at[2], "to": at[1]})) == ["to"]
    assert ids_of(listed(offerCode="ONE", limit=1)) == [third["id"]]
    foreign_token_refused(listed, {"offerCode": "ONE"}, {"offerCode": "TWO"})


def test_a_member_s_offer_redemptions_come_with_each_offer_they_reference_once(prog):
    one, two = offer(prog, "ONE", requiresActivation=True), offer(prog, "TWO", endDate="2026-01-20T09:00:00Z")
    member, other = prog.member(), prog.member()
    offers.activate(prog.caller, member, one)
    made = [use(prog, code, member, redeemedAt=f"2026-01-0{day}T12:00:00Z") for code, day in (("ONE", 3), ("TWO", 4))]
    made.append(use(prog, "ONE", member, redeemedAt="2026-01-05T12:00:00Z"))
    use(prog, "TWO", other)

    def mine(who=member, **query):
        return offer_redemptions.member_redemptions(TENANT, who, MemberRedemptionsQuery.model_validate(query))

    page = mine()
    assert page.items["redemptions"] == [made[2], made[1], made[0]]  # newest first
    shown = {item["offerId"]: item for item in page.items["offers"]}
    assert [item["offerId"] for item in page.items["offers"]] == [one, two]  # once each, in order of first use
    assert (shown[one]["activated"], shown[one]["activatedAt"]) == (True, "2026-01-07T09:00:00Z")
    assert (shown[two]["activated"], shown[two]["offerCode"]) == (False, "TWO")
    assert (shown[one]["daysRemaining"], shown[two]["daysRemaining"]) == (None, 13)  # to its endDate, from now
    window = mine(startDate="2026-01-04T12:00:00Z", endDate="2026-01-04T12:00:00Z")
    assert (window.items["redemptions"], [item["offerId"] for item in window.items["offers"]]) == ([made[1]], [two])
    assert invalid_fields(lambda: mine(startDate="2026-01-05T00:00:00Z", endDate="2026-01-04T00:00:00Z")) == ["endDate"]
    assert refused(lambda: mine("no-such-member")) == (404, "not_found")
    assert mine(other).items["redemptions"][0]["memberId"] == other
    foreign_token_refused(lambda **query: mine(**query), {}, {}, other=lambda **query: mine(other, **query))


def test_the_use_a_money_offer_takes_is_its_total_s_and_its_member_s(prog):
    offer_id = offer(prog, "BOTH", maxRedemptionsPerMember=1, maxRedemptionsTotal=2)
    member = prog.member()
    use(prog, "BOTH", member)
    assert refused(lambda: use(prog, "BOTH", member)) == (409, "offer_limit_reached")
    assert offers.get_offer(TENANT, offer_id)["redemptionCount"] == 1
    use(prog, "BOTH", prog.member())
    assert refused(lambda: use(prog, "BOTH", prog.member())) == (409, "offer_limit_reached")


def test_the_offer_s_dates_are_checked_at_the_server_s_time_when_redeemed_at_is_not_given(prog):
    offer(prog, "NOW", startDate="2026-01-07T09:00:01Z")
    assert refused(lambda: use(prog, "NOW")) == (409, "offer_not_active")
    prog.clock.current = datetime(2026, 1, 7, 9, 0, 1, tzinfo=UTC)
    assert use(prog, "NOW")["redeemedAt"] == "2026-01-07T09:00:01Z"


# --- issue 18: the survivors of mutation testing in offer_limits, redemptions, awards and book ---------------------


def refusal_message(call):
    """The message of the ApiError a call raises (the test fails if it succeeds)."""
    with pytest.raises(ApiError) as error:
        call()
    return error.value.status, error.value.code, error.value.message


def test_a_limit_refusal_names_the_uses_so_far_and_the_limit_it_reached(prog):
    offer(prog, "LIM", maxRedemptionsPerMember=2, maxRedemptionsTotal=3)
    first, second = prog.member(), prog.member()
    use(prog, "LIM", first, value="20.00")
    use(prog, "LIM", first, value="20.00")
    assert refusal_message(lambda: use(prog, "LIM", first, value="20.00")) == (
        409,
        "offer_limit_reached",
        "The member has used this offer 2 times already (the limit is 2).",
    )
    use(prog, "LIM", second, value="20.00")
    assert refusal_message(lambda: use(prog, "LIM", second, value="20.00")) == (
        409,
        "offer_limit_reached",
        "The offer has been used 3 times already (the limit is 3).",
    )


def test_a_redemption_without_a_member_counts_a_use_of_the_offer_and_none_of_any_member(prog):
    offer_id = offer(prog, "ANON", maxRedemptionsTotal=5)
    use(prog, "ANON", value="20.00")
    assert store.get(activations_db.key(TENANT, None, offer_id)) is None  # no state item for "member None"
    assert offers.get_offer(TENANT, offer_id)["redemptionCount"] == 1


# --- issue 18, fourth session: the checker's offer part on reversals and period limits (checker_offers) ---------


def reverse(prog, redemption_id):
    body = OfferRedemptionReverse.model_validate({"reason": "changed mind"})
    return offer_redemptions.reverse(prog.caller, redemption_id, body)


def test_the_checker_finds_each_points_reversal_whose_award_or_return_transaction_is_not_exactly_its_own(prog):
    """A reversed points redemption's award has all its points returned and its return transaction (if the
    member had any points left) holds what was taken back, the rest being the redemption's deficitPoints; a
    redemption not reversed has nothing returned of its award. Each wrong in one way only is reported."""
    points_offer = offer(prog, "PTS", rewardType="points", offerAmount="30")
    member = prog.member()
    made = [use(prog, "PTS", member) for _ in range(10)]  # 300 points
    full = [reverse(prog, redemption["id"]) for redemption in made[:5]]  # each takes its 30 back
    prog.deduct(member, 130)  # 20 left
    short, spent = reverse(prog, made[5]["id"]), reverse(prog, made[6]["id"])
    assert [(r["deficitPoints"], r["reversalTransactionId"] is None) for r in (short, spent)] == [
        (10, False),
        (30, True),
    ]
    assert offer_problems() == []  # 20 + 10, 0 + 30, and 30 + 0 five times; the one without a transaction is fine
    returns = [redemption["reversalTransactionId"] for redemption in full]
    store.transact([store.delete(ledger_db.key(TENANT, returns[0]))])
    for transaction_id, change in zip(
        returns[1:4], [{"type": "deduct"}, {"memberId": prog.member()}, {"points": 31}], strict=True
    ):
        store.transact([store.update(ledger_db.key(TENANT, transaction_id), set_values=change)])
    award_of = {redemption["id"]: redemption["transactionId"] for redemption in made}
    store.transact([store.update(ledger_db.key(TENANT, award_of[made[4]["id"]]), set_values={"returnedPoints": 29})])
    store.transact([store.update(ledger_db.key(TENANT, award_of[made[7]["id"]]), set_values={"returnedPoints": 1})])
    facts = {"tenantId": TENANT, "offerId": points_offer}
    no_return = "a reversal without its return transaction"
    assert offer_problems() == sorted(
        [
            *({**facts, "problem": no_return, "redemptionId": r["id"]} for r in made[:4]),
            {**facts, "problem": "a reversed redemption whose award was not returned", "redemptionId": made[4]["id"]},
            {**facts, "problem": "a redemption whose award was returned", "redemptionId": made[7]["id"]},
        ],
        key=lambda p: (p["offerId"], p["problem"], str(sorted(p.items()))),
    )


def test_the_checker_compares_each_member_s_current_window_counters_with_the_uses_counted_in_them(prog):
    """Per member and offer with a day/week/month/year limit: the counter of each window = the uses (and vouchers)
    counted in it, less those reversed; a past window's counter may be gone (TTL), a current one may not."""
    day = offer(prog, "DAY", maxRedemptionsPerMember=3, maxRedemptionsPerMemberInterval="day")
    longer = {
        interval: offer(prog, interval.upper(), maxRedemptionsPerMember=5, maxRedemptionsPerMemberInterval=interval)
        for interval in ("week", "month", "year")
    }
    member, other = prog.member(), prog.member()
    first = use(prog, "DAY", member)
    use(prog, "DAY", member)
    use(prog, "DAY", other)
    for interval in longer:
        use(prog, interval.upper(), member)
    give(prog, day, memberId=member)
    give(prog, day, customerName="Ada")
    reverse(prog, first["id"])
    assert offer_problems() == []  # the member's day: 2 uses + 1 voucher - 1 reversed = 2, the other's 1
    prog.clock.current = datetime(2026, 1, 8, 9, 0, tzinfo=UTC)
    assert offer_problems() == []  # yesterday's counters, still kept, still agree
    store.transact([store.delete(activations_db.window_key(TENANT, member, day, "2026-01-07"))])
    assert offer_problems() == []  # a past window's counter forgotten
    use(prog, "DAY", member)
    use(prog, "DAY", other)
    store.transact([store.update(activations_db.window_key(TENANT, member, day, "2026-01-08"), add={"count": 1})])
    store.transact([store.delete(activations_db.window_key(TENANT, other, day, "2026-01-08"))])
    store.transact([store.update(activations_db.window_key(TENANT, other, day, "2026-01-05"), add={"count": 1})])
    current = {"week": "2026-W02", "month": "2026-01", "year": "2026"}
    for interval, window in current.items():
        store.transact([store.delete(activations_db.window_key(TENANT, member, longer[interval], window))])
    problem = {"tenantId": TENANT, "problem": "a member's window counter differs from the uses counted in that window"}
    found = [
        {**problem, "offerId": day, "memberId": other, "window": "2026-01-05", "stored": 1, "counted": 0},
        {**problem, "offerId": day, "memberId": member, "window": "2026-01-08", "stored": 2, "counted": 1},
        {**problem, "offerId": day, "memberId": other, "window": "2026-01-08", "stored": 0, "counted": 1},
        *(
            {**problem, "offerId": longer[interval], "memberId": member, "window": window, "stored": 0, "counted": 1}
            for interval, window in current.items()
        ),
    ]
    assert offer_problems() == sorted(found, key=lambda p: (p["offerId"], p["problem"], str(sorted(p.items()))))


# --- issue 18, fifth session: the survivors of offer_redemptions on the code of 745ab97 ------------------------


def test_a_reversal_again_answers_the_reversed_redemption_and_gives_nothing_back_twice(prog):
    """A second reversal of one redemption answers it as the first left it (200 in the service's terms: the same
    record) and moves nothing: the offer's count and the member's limit are given back once."""
    offer(prog, "ONCE", maxRedemptionsPerMember=1)
    member = prog.member()
    made = use(prog, "ONCE", member)
    prog.clock.advance(minutes=5)
    first = reverse(prog, made["id"])
    assert (first["status"], first["reversedAt"], first["reversalReason"]) == (
        "reversed",
        "2026-01-07T09:05:00Z",
        "changed mind",
    )
    assert (first["reversalTransactionId"], first["deficitPoints"]) == (None, 0)  # no points offer: nothing owed
    prog.clock.advance(minutes=5)
    assert reverse(prog, made["id"]) == first
    assert offer_redemptions.get_redemption(TENANT, made["id"]) == first
    again = use(prog, "ONCE", member)  # the one use given back once: one more, then the limit
    assert refused(lambda: use(prog, "ONCE", member)) == (409, "offer_limit_reached")
    body = OfferRedemptionReverse.model_validate({"reason": "changed mind"})
    assert replayed_status(lambda c: offer_redemptions.reverse(c, again["id"], body), prog.keyed("k-1")) == 200
    assert offer_problems() == []


def test_an_unknown_offer_redemption_read_or_reversed_is_a_404_naming_it(prog):
    for call in (
        lambda: offer_redemptions.get_redemption(TENANT, "01ARZ3NDEKTSV4RRFFQ69G5FAV"),
        lambda: reverse(prog, "01ARZ3NDEKTSV4RRFFQ69G5FAV"),
    ):
        with pytest.raises(ApiError) as missing:
            call()
        assert (missing.value.status, missing.value.message) == (404, "The offer redemption does not exist.")


def test_a_points_offer_s_reversal_records_a_return_transaction_naming_the_offer_redemption_and_its_deficit(prog):
    offer_id = offer(prog, "PTS", rewardType="points", offerAmount="30")
    member = prog.member()
    made = use(prog, "PTS", member, orderId="o-1")
    prog.deduct(member, 10)  # 20 of the 30 left
    back = reverse(prog, made["id"])
    assert (back["status"], back["deficitPoints"]) == ("reversed", 10)
    entry = transactions.get_transaction(TENANT, back["reversalTransactionId"])
    assert {k: entry.get(k) for k in ("type", "status", "points", "memberId", "orderId", "reason")} == {
        "type": "return",
        "status": "approved",
        "points": 20,
        "memberId": member,
        "orderId": "o-1",
        "reason": f"offer redemption {made['id']} reversed",
    }
    stored = store.get(ledger_db.key(TENANT, back["reversalTransactionId"]))
    assert (stored["deficitPoints"], stored["offerId"], stored["offerRedemptionId"]) == (10, offer_id, made["id"])
    assert prog.balance(member)["available"] == 0


def test_an_offer_aimed_at_segments_needs_the_member_and_takes_only_those_inside(prog):
    """§11 targeting on the redemption path: an offer with segmentIds or only excludedSegmentIds names its member
    (400 memberId), a member outside is 409 not_eligible and nothing is counted, a member inside redeems."""
    for segment_id, tag in (("vip", "vip"), ("banned", "banned")):
        body = {"segmentId": segment_id, "name": segment_id.title(), "rules": {"tags": [tag]}}
        segments.create_segment(prog.caller, SegmentCreate.model_validate(body))
    aimed = offer(prog, "AIMED", segmentIds=["vip"])
    not_banned = offer(prog, "NOTBANNED", excludedSegmentIds=["banned"])
    inside, outside = prog.member(), prog.member()
    members.update_member(prog.caller, inside, MemberUpdate.model_validate({"tags": ["vip"]}))
    members.update_member(prog.caller, outside, MemberUpdate.model_validate({"tags": ["banned"]}))

    for code in ("AIMED", "NOTBANNED"):
        with pytest.raises(ValidationFailed) as error:
            use(prog, code, value="20.00")
        assert error.value.details == [
            {"field": "memberId", "message": "is required to redeem an offer aimed at segments"}
        ]
        assert refused(lambda code=code: use(prog, code, outside, value="20.00")) == (409, "not_eligible")
        assert use(prog, code, inside, value="20.00")["memberId"] == inside
    for offer_id in (aimed, not_banned):
        assert offers.get_offer(TENANT, offer_id)["redemptionCount"] == 1  # the refused ones counted nothing
