"""The ledger checker's offer part reports each kind of damage: counters off, limits passed, awards missing."""

import pytest
from loyalty.models.members import MemberCreate
from loyalty.models.offers import OfferCreate, OfferRedemptionCreate
from loyalty.models.types import checked
from loyalty.operation import Caller
from loyalty.repository import activations as activations_db
from loyalty.repository import ledger as ledger_db
from loyalty.repository import offers as repo
from loyalty.repository import store
from loyalty.services import checker, members, offer_redemptions, offers, tenants

TENANT = "chk"


@pytest.fixture
def redeemed(fresh_table):
    tenants.create_tenant(TENANT, "Checker")
    caller = Caller(TENANT)
    member_id = members.create_member(caller, checked(MemberCreate, {"email": "c@example.com"}))["memberId"]
    body = {"offerCode": "PTS", "name": "P", "rewardType": "points", "offerAmount": "30", "status": "published"}
    offer = offers.create_offer(caller, checked(OfferCreate, {**body, "maxRedemptionsTotal": 3}))
    redemption = {"teamId": TENANT, "offerCode": "PTS", "memberId": member_id}
    made = [offer_redemptions.redeem(caller, checked(OfferRedemptionCreate, redemption)) for _ in range(2)]
    assert checker.check([TENANT])["problems"] == []
    return offer["offerId"], member_id, made


def problems() -> set[str]:
    return {problem.get("problem", problem.get("field")) for problem in checker.check([TENANT])["problems"]}


def _usage(offer_id: str):
    return repo.usage(TENANT, store.get(repo.offer_key(TENANT, offer_id)))


def test_a_usage_counter_off_by_one_is_reported(redeemed):
    offer_id, _, _ = redeemed
    store.transact([_usage(offer_id).add(0, {"uses": 1})])
    assert "redemptionCount differs from the redemptions recorded" in problems()


def test_a_shard_past_its_cap_and_caps_not_adding_up_are_reported(redeemed):
    offer_id, _, _ = redeemed
    store.transact([store.update(_usage(offer_id).key(7), set_values={"cap": 5, "uses": 9})])
    assert {"a usage shard above its cap", "shard caps do not add up to the total limit (or the uses, if more)"} <= (
        problems()
    )


def test_member_uses_off_and_a_missing_award_are_reported(redeemed):
    offer_id, member_id, made = redeemed
    key = activations_db.key(TENANT, member_id, offer_id)
    store.transact([store.update(key, add={"uses": 1})])
    store.transact([store.delete(ledger_db.key(TENANT, made[0]["transactionId"]))])
    found = problems()
    assert "a member's uses differ from the member's redemptions" in found
    assert "a points redemption without its award" in found
