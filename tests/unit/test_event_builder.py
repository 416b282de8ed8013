"""The event builder (services/events.py) over real items written by the services on the embedded table: each
§13 type that exists today from the change that makes it, with the API's shape as data, and the changes that
make nothing. The table is read before and after each call and the differences fed as stream records."""

from datetime import UTC, datetime

import pytest
from loyalty.models.ledger import Rejection
from loyalty.models.members import MemberUpdate
from loyalty.models.offers import OfferRedemptionReverse
from loyalty.models.referrals import ReferralCreate
from loyalty.models.rewards import RedemptionCancel
from loyalty.models.vouchers import VoucherRedeem
from loyalty.repository import events as events_db
from loyalty.services import (
    events,
    jobs,
    members,
    offer_redemptions,
    offers,
    redemptions,
    referrals,
    transactions,
    vouchers,
)

from tests.support import money
from tests.support.money import TENANT, Program
from tests.support.stream import Stream, record

pytestmark = pytest.mark.usefixtures("fresh_table")


@pytest.fixture
def prog():
    world = Program(datetime(2026, 1, 7, 9, 0, tzinfo=UTC))
    world.settings(
        pointsExpiryDays=30,
        tiers=[
            {"tierId": "silver", "name": "Silver", "threshold": 0},
            {"tierId": "gold", "name": "Gold", "threshold": 100},
        ],
    )
    world.activity("gift", points=10)
    return world


def built(records):
    """The events the records make: [(type, data)], and every event id (one per event)."""
    made = [b for r in records for b in events.build(events.change_of(r))]
    return made


def types(records):
    return sorted(b.event["type"] for b in built(records))


def only(records, type_):
    found = [b for b in built(records) if b.event["type"] == type_]
    assert len(found) == 1, [b.event["type"] for b in built(records)]
    return found[0]


def test_member_created_then_updated_only_by_patchable_fields(prog):
    stream = Stream()
    records = stream.changes(lambda: prog.member(firstName="Ann"))
    created = only(records, "member.created")
    assert types(records) == ["member.created"]
    member_id = created.event["data"]["memberId"]
    assert created.event["data"] == members.get_member(TENANT, member_id)
    assert created.member_id == member_id and created.event["tenantId"] == TENANT
    assert created.event["id"].startswith("evt_") and len(created.event["id"]) == 30

    patch = MemberUpdate.model_validate({"lastName": "Lee"})
    records = stream.changes(lambda: members.update_member(prog.caller, member_id, patch))
    assert types(records) == ["member.updated"]
    first = only(records, "member.updated").event
    assert first["data"]["lastName"] == "Lee"
    # another change of the same item, of the same type, in the same second: another id
    again = MemberUpdate.model_validate({"lastName": "Li"})
    second = only(stream.changes(lambda: members.update_member(prog.caller, member_id, again)), "member.updated")
    assert second.event["timestamp"] == first["timestamp"] and second.event["id"] != first["id"]

    # nothing: a balance move below the next tier (the member item changes, no PATCH-able field does)
    records = stream.changes(lambda: prog.award(member_id, "gift", points=5))
    assert types(records) == ["points.awarded"]
    # nothing: a PATCH that sets what is already there writes nothing
    records = stream.changes(lambda: members.update_member(prog.caller, member_id, again))
    assert types(records) == []


def test_tier_changed_compares_the_computed_tier(prog):
    member_id = prog.member()
    stream = Stream()
    records = stream.changes(lambda: prog.award(member_id, "gift", points=150))
    assert types(records) == ["points.awarded", "tier.changed"]
    changed = only(records, "tier.changed").event["data"]
    assert changed["tier"] == {"tierId": "gold", "name": "Gold"}
    assert changed["previousTier"] == {"tierId": "silver", "name": "Silver"}
    assert {k: v for k, v in changed.items() if k != "previousTier"} == members.get_member(TENANT, member_id)
    # an override to the tier the member has already: member.updated, no tier.changed
    patch = MemberUpdate.model_validate({"tierOverride": "gold"})
    records = stream.changes(lambda: members.update_member(prog.caller, member_id, patch))
    assert types(records) == ["member.updated"]
    records = stream.changes(lambda: prog.deduct(member_id, 100))
    assert types(records) == ["points.deducted"]  # qualified points stay; the override holds the tier anyway


def test_member_erased_is_the_only_event_of_an_erasure(prog):
    stream = Stream()
    member_id = prog.member(firstName="Ann")
    records = stream.changes(lambda: members.erase_member(prog.caller, member_id))
    erased = only(records, "member.erased")
    assert types(records) == ["member.erased"]
    assert erased.event["data"]["email"] is None and erased.event["data"]["firstName"] is None


def test_points_from_ledger_entries(prog):
    prog.activity("manual", points=7, approvalMethod="manual")
    member_id = prog.member()
    stream = Stream()
    records = stream.changes(lambda: prog.award(member_id, "manual"))
    awarded = only(records, "points.awarded").event
    assert awarded["data"]["status"] == "pending"
    tx_id = awarded["data"]["transactionId"]
    records = stream.changes(lambda: transactions.approve(prog.caller, tx_id))
    approved = only(records, "points.approved").event
    assert approved["data"] == transactions.get_transaction(TENANT, tx_id)
    assert approved["id"] != awarded["id"]

    pending = prog.award(member_id, "manual")["transactionId"]
    records = stream.changes(
        lambda: transactions.reject(prog.caller, pending, Rejection.model_validate({"reason": "no"}))
    )
    assert types(records) == ["points.rejected"]
    records = stream.changes(lambda: prog.deduct(member_id, 3))
    assert types(records) == ["points.deducted"]


def test_redemptions_and_their_points(prog):
    member_id = money.rich_member(prog, 500)
    money.reward(prog, "mug", 100, fulfillment="manual")
    stream = Stream()
    records = stream.changes(lambda: money.redeem(prog, member_id, "mug"))
    assert types(records) == ["points.redeemed", "redemption.created"]
    created = only(records, "redemption.created").event["data"]
    assert created == redemptions.get_redemption(TENANT, created["redemptionId"])
    records = stream.changes(lambda: redemptions.complete(prog.caller, created["redemptionId"]))
    assert types(records) == ["redemption.completed"]

    other = money.redeem(prog, member_id, "mug")["redemptionId"]
    cancel = RedemptionCancel.model_validate({"reason": "changed mind"})
    records = stream.changes(lambda: redemptions.cancel(prog.caller, other, cancel))
    assert types(records) == ["points.refunded", "redemption.cancelled"]


def test_offer_activated_redeemed_reversed(prog):
    member_id = prog.member()
    offer_id = money.offer(prog, "SPRING", requiresActivation=True)
    stream = Stream()
    records = stream.changes(lambda: offers.activate(prog.caller, member_id, offer_id))
    activated = only(records, "offer.activated").event["data"]
    assert activated == {
        "memberId": member_id,
        "offerId": offer_id,
        "offerCode": "SPRING",
        "activated": True,
        "activatedAt": activated["activatedAt"],
    }
    # nothing: activating again (no write), deactivating
    assert types(stream.changes(lambda: offers.activate(prog.caller, member_id, offer_id))) == []
    assert types(stream.changes(lambda: offers.deactivate(prog.caller, member_id, offer_id))) == []
    stream.changes(lambda: offers.activate(prog.caller, member_id, offer_id))

    records = stream.changes(lambda: money.use(prog, "SPRING", member_id))
    assert types(records) == ["offer.redeemed"]  # the use's +1 on the activation item is no activation
    used = only(records, "offer.redeemed").event["data"]
    assert used == offer_redemptions.get_redemption(TENANT, used["id"])
    reverse = OfferRedemptionReverse.model_validate({"reason": "refund"})
    records = stream.changes(lambda: offer_redemptions.reverse(prog.caller, used["id"], reverse))
    assert types(records) == ["offer.reversed"]


def test_vouchers_issued_redeemed_cancelled(prog):
    member_id = prog.member(firstName="Ann", lastName="Lee")
    offer_id = money.offer(prog, "VOUCH")
    stream = Stream()
    records = stream.changes(lambda: money.give(prog, offer_id, memberId=member_id))
    issued = only(records, "voucher.issued")
    assert types(records) == ["voucher.issued"]
    assert issued.member_id == member_id
    voucher_id = issued.event["data"]["voucherId"]
    assert issued.event["data"] == vouchers.get_offer_voucher(TENANT, offer_id, voucher_id)
    records = stream.changes(lambda: vouchers.redeem(prog.caller, voucher_id, VoucherRedeem.model_validate({})))
    assert types(records) == ["voucher.redeemed"]
    other = money.give(prog, offer_id, customerName="Walk In")["voucherId"]
    records = stream.changes(lambda: vouchers.cancel(prog.caller, other))
    cancelled = only(records, "voucher.cancelled")
    assert cancelled.member_id is None and cancelled.owner == other


def test_referral_completed_with_its_awards(prog):
    prog.activity("welcome", points=20)
    prog.settings(referrerActivityId="gift", refereeActivityId="welcome")
    referrer = prog.member()
    referee = prog.member()
    code = members.get_member(TENANT, referrer)["referralCode"]
    stream = Stream()
    body = ReferralCreate.model_validate({"referralCode": code})
    records = stream.changes(lambda: referrals.refer(prog.caller, referee, body))
    assert types(records) == ["points.awarded", "points.awarded", "referral.completed"]
    completed = only(records, "referral.completed").event["data"]
    assert (completed["referrerId"], completed["refereeId"]) == (referrer, referee)
    assert len(completed["transactionIds"]) == 2


def test_nothing_from_our_own_events_deletions_and_other_items(prog):
    member_id = prog.member()
    change = events.change_of(record(*events_db.key(TENANT, "evt_X").values(), None, {"pk": {"S": "x"}}))
    assert change is not None and events.build(change) == []
    # a deletion, platform data, a listing item, an unknown kind
    assert events.build(events.Change("T#money#M#" + member_id, "MEMBER", {"memberId": member_id}, None, "")) == []
    assert events.build(events.Change("REGISTRY#TENANTS", "T#money", None, {"a": 1}, "")) == []
    assert events.build(events.Change("T#money#M#" + member_id, "LISTING", None, {"memberId": member_id}, "")) == []
    assert events.build(events.Change("T#money#ORDER#o1", "ORDER", None, {"orderId": "o1"}, "")) == []


def test_the_same_change_reprocessed_has_the_same_id(prog):
    stream = Stream()
    records = stream.changes(lambda: prog.member())
    first = [b.event for b in built(records)]
    again = [b.event for b in built(records)]
    assert first == again
    # the id sorts by the event's time: its ULID's time part is the timestamp
    assert (
        first[0]["id"][4:14]
        == events.event_id("member.created", events.change_of(records[0]), first[0]["timestamp"])[4:14]
    )
    later = events.event_id("member.created", events.change_of(records[0]), "2026-01-07T09:00:01Z")
    assert later > first[0]["id"]


def test_points_expired_from_the_expiry_job(prog):
    member_id = prog.member()
    prog.award(member_id, "gift", points=40)
    prog.clock.advance(days=40)

    records = Stream().changes(lambda: jobs.expire_points(tenant_ids=[TENANT]))
    expired = only(records, "points.expired").event["data"]
    assert (expired["type"], expired["points"], expired["memberId"]) == ("expire", 40, member_id)
    assert types(records) == ["points.expired"]  # the member item moves too: no PATCH-able field, tier kept
