"""PATCH /offers/{id} writes the usage shards only when a rule a claim is decided by changes (issue 20):
the DynamoDB calls of each kind of update, counted, and claims read before each kind of update."""

from collections import Counter
from typing import Any

import pytest
from loyalty.errors import Conflict
from loyalty.models.offers import OfferCreate, OfferRedemptionCreate, OfferUpdate
from loyalty.models.types import checked
from loyalty.operation import Caller
from loyalty.repository import offer_usage as usage_db
from loyalty.repository import offers as repo
from loyalty.repository import store
from loyalty.services import offer_limits, offer_redemptions, offers, tenants

from tests.support import calls

TENANT = "upd"
CALLER = Caller(TENANT)
ONE_READ_ONE_WRITE = Counter({"BatchGetItem": 1, "TransactWriteItems": 1})


@pytest.fixture
def offer_id(fresh_table) -> str:
    tenants.create_tenant(TENANT, "Updates")
    body = {
        "offerCode": "UPD",
        "name": "Five off",
        "rewardType": "amount",
        "offerAmount": "5.00",
        "status": "published",
        "maxRedemptionsTotal": 50,
    }
    return offers.create_offer(CALLER, checked(OfferCreate, body))["offerId"]


def patch(offer_id: str, change: dict[str, Any]) -> list[calls.Call]:
    """The calls one PATCH made."""
    with calls.recorded() as made:
        offers.update_offer(CALLER, offer_id, checked(OfferUpdate, change))
    return made


def stored(offer_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    offer, shards = repo.read_offer(TENANT, offer_id)
    assert offer is not None
    return offer, shards


def redeem() -> dict[str, Any]:
    return offer_redemptions.redeem(CALLER, checked(OfferRedemptionCreate, {"teamId": TENANT, "offerCode": "UPD"}))


SHOWN_ONLY = {
    "description": {"description": "Five off any order"},
    "name": {"name": "Five off, renamed"},
    "tags": {"tags": [{"key": "season", "value": "spring"}]},
    "several": {"merchantName": "Shop", "categoryId": "food", "channels": ["online"]},
}
RULES = {
    "total limit": {"maxRedemptionsTotal": 40},
    "status": {"status": "archived"},
    "activation": {"requiresActivation": True},
    "amount": {"offerAmount": "6.00"},
    "with a shown field": {"description": "Now 6", "offerAmount": "6.00"},
}


@pytest.mark.parametrize("change", SHOWN_ONLY.values(), ids=SHOWN_ONLY)
def test_an_update_of_what_an_offer_only_shows_writes_the_offer_alone(offer_id, change):
    made = patch(offer_id, change)
    assert calls.by_api(made) == ONE_READ_ONE_WRITE
    assert calls.written(made) == [repo.offer_key(TENANT, offer_id)]
    assert {shard.get(usage_db.VERSION) for shard in stored(offer_id)[1]} == {None}


@pytest.mark.parametrize("change", RULES.values(), ids=RULES)
def test_an_update_of_a_rule_stamps_its_version_on_every_usage_shard(offer_id, change):
    made = patch(offer_id, change)
    offer, shards = stored(offer_id)
    assert calls.by_api(made) == ONE_READ_ONE_WRITE
    assert calls.written(made) == [repo.offer_key(TENANT, offer_id), *repo.usage(TENANT, offer).keys()]
    assert len(shards) == 16 and {shard[usage_db.VERSION] for shard in shards} == {offer["version"]} == {1}


def test_a_claim_read_before_a_shown_field_changed_commits_and_one_read_before_a_rule_changed_does_not(offer_id):
    """The rules version, not the offer's version, is what a claim is held to: an update that leaves the
    rules alone lets the claims in flight and those after it commit, one that changes them stops those in flight."""
    redeem()
    patch(offer_id, {"description": "Five off any order"})
    in_flight = stored(offer_id)
    patch(offer_id, {"name": "Five off, renamed"})
    store.transact(offer_limits.claim(TENANT, *in_flight, None, None))  # decided under the same rules: commits
    redeem()  # and one read after the updates commits too: 3 uses
    in_flight = stored(offer_id)
    patch(offer_id, {"maxRedemptionsTotal": 5})
    with pytest.raises(store.ConditionFailed):
        store.transact(offer_limits.claim(TENANT, *in_flight, None, None))  # decided under the old limit
    patch(offer_id, {"description": "Five only"})  # the rules stamped by the limit's update stay in force
    redeem()
    redeem()  # the fifth use, the last the new limit leaves
    with pytest.raises(Conflict, match="used 5 times already"):
        redeem()
    assert usage_db.used(stored(offer_id)[1]) == 5
