"""Segments and targeting over the local API (§11): segment CRUD and its limit, odd input refused with nothing
stored, member tags, include/exclude overrides, a member's segments, scopes and tenants apart; offers and
rewards aimed at segments (not listed / `eligible: false` with reason `segment` / `409 not_eligible`), evaluated
from the member's current state at the moment of use, with a bounded number of reads whatever a segment's size."""

from __future__ import annotations

from typing import Any

import pytest
from loyalty.services import segments as segments_service

from tests.support.calls import by_api, recorded
from tests.support.ledger import activity, assert_ledger_clean, award, outcome
from tests.support.local import Client, Reply, ok, tenant_digest

UNKNOWN_MEMBER = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
TIERS = [{"tierId": "silver", "name": "Silver", "threshold": 0}, {"tierId": "gold", "name": "Gold", "threshold": 1000}]


def put(client: Client, path: str, body: Any) -> Reply:
    return client.call("PUT", path, body)


def segment(tenant, segment_id: str, **rules: Any) -> dict[str, Any]:
    return ok(201, tenant.admin.post("/segments", {"segmentId": segment_id, "name": segment_id, "rules": rules})).data


def enrol(tenant, email: str, **fields: Any) -> str:
    return ok(201, tenant.integration.post("/members", {"email": email, **fields})).data["memberId"]


def in_segments(tenant, member_id: str) -> dict[str, str]:
    """The member's segments now (every page, 2 a page), by id → matchedBy."""
    out, token = {}, None
    while True:
        reply = ok(
            200, tenant.read.get(f"/members/{member_id}/segments?limit=2" + (f"&nextToken={token}" if token else ""))
        )
        out.update({s["segmentId"]: s["matchedBy"] for s in reply.data})
        token = reply.json["nextToken"]
        if not token:
            return out


def tiered(tenant) -> None:
    ok(200, tenant.admin.patch("/program", {"tiers": TIERS}))
    activity(tenant.admin, "visit", points=1000, qualifiedPoints=True)


# --- segments: create, read, list, change ----------------------------------------------------------------


def test_a_segment_is_created_read_listed_and_changed(tenant):
    tiered(tenant)
    made = ok(
        201,
        tenant.admin.post(
            "/segments",
            {"segmentId": "gold-vip", "name": "Gold VIPs", "rules": {"tierIds": ["gold"], "tags": [" VIP ", "vip"]}},
        ),
    ).data
    assert made["rules"] == {
        "tierIds": ["gold"],
        "minQualified": None,
        "maxQualified": None,
        "createdFrom": None,
        "createdTo": None,
        "tags": ["vip"],
    }
    assert made["createdAt"] == made["updatedAt"]
    assert ok(200, tenant.read.get("/segments/gold-vip")).data == made
    everyone = segment(tenant, "all")
    assert everyone["rules"]["tierIds"] is None
    assert ok(200, tenant.read.get("/segments")).json == {"data": [everyone, made], "nextToken": None}
    first = ok(200, tenant.read.get("/segments?limit=1")).json
    assert first["data"] == [everyone] and first["nextToken"]
    assert ok(200, tenant.read.get(f"/segments?limit=1&nextToken={first['nextToken']}")).data == [made]
    renamed = ok(200, tenant.admin.patch("/segments/gold-vip", {"name": "Gold"})).data
    assert (renamed["name"], renamed["rules"]) == ("Gold", made["rules"])
    replaced = ok(200, tenant.admin.patch("/segments/gold-vip", {"rules": {"minQualified": 5}})).data
    assert replaced["rules"]["minQualified"] == 5 and replaced["rules"]["tierIds"] is None  # rules replaced whole
    duplicate = tenant.admin.post("/segments", {"segmentId": "gold-vip", "name": "Again"})
    assert (duplicate.status, duplicate.code) == (409, "duplicate")
    for reply in (tenant.read.get("/segments/nope"), tenant.admin.patch("/segments/nope", {"name": "x"})):
        assert (reply.status, reply.code) == (404, "not_found")


@pytest.mark.parametrize(
    "body",
    [
        {"segmentId": "s", "name": "S", "rules": {"tier": ["gold"]}},  # an unknown rule field
        {"segmentId": "s", "name": "S", "rules": {"minQualified": 10, "maxQualified": 9}},
        {"segmentId": "s", "name": "S", "rules": {"createdFrom": "2026-02-01T00:00:00Z", "createdTo": "2026-01-01"}},
        {
            "segmentId": "s",
            "name": "S",
            "rules": {"createdFrom": "2026-02-01T00:00:00Z", "createdTo": "2026-01-01T00:00:00Z"},
        },
        {"segmentId": "s", "name": "S", "rules": {"tierIds": ["platinum"]}},  # not a tier of the program
        {"segmentId": "s", "name": "S", "rules": {"minQualified": "5"}},
        {"segmentId": "s", "name": "S", "rules": {"minQualified": -1}},
        {"segmentId": "s", "name": "S", "rules": {"tags": "vip"}},
        {"segmentId": "s", "name": "S", "rules": {"tags": [""]}},
        {"segmentId": "s", "name": "S", "rules": {"tags": [f"t{i}" for i in range(51)]}},
        {"segmentId": "s", "name": "S", "rules": ["tierIds"]},
        {"segmentId": "has space", "name": "S"},
        {"segmentId": "s" * 129, "name": "S"},
        {"segmentId": "s"},
        {"segmentId": "s", "name": "S", "extra": 1},
        {"segmentId": 7, "name": "S"},
    ],
)
def test_odd_segments_are_refused_and_nothing_is_stored(tenant, body):
    tiered(tenant)
    before = tenant_digest(tenant.tenant_id)
    reply = tenant.admin.post("/segments", body)
    assert (reply.status, reply.code) == (400, "validation_error"), reply.text
    assert tenant_digest(tenant.tenant_id) == before


def test_odd_changes_are_refused_and_nothing_is_stored(tenant):
    segment(tenant, "s", minQualified=10)
    before = tenant_digest(tenant.tenant_id)
    for body in ({"rules": {"minQualified": 10, "maxQualified": 1}}, {"rules": {"unknown": 1}}, {"name": ""},
                 {"segmentId": "t"}, {"name": None}):  # fmt: skip
        reply = tenant.admin.patch("/segments/s", body)
        assert (reply.status, reply.code) == (400, "validation_error"), (body, reply.text)
    assert tenant_digest(tenant.tenant_id) == before


def test_a_program_has_at_most_the_limit_of_segments(tenant, monkeypatch):
    monkeypatch.setattr(segments_service, "MAX_SEGMENTS", 3)
    for i in range(3):
        segment(tenant, f"s{i}")
    before = tenant_digest(tenant.tenant_id)
    refused = tenant.admin.post("/segments", {"segmentId": "s3", "name": "One too many"})
    assert (refused.status, refused.code) == (409, "limit_reached"), refused.text
    assert tenant_digest(tenant.tenant_id) == before
    assert len(ok(200, tenant.read.get("/segments")).data) == 3


def test_scopes_admin_writes_read_reads(tenant):
    segment(tenant, "s")
    m = enrol(tenant, "scope@example.com")
    before = tenant_digest(tenant.tenant_id)
    for client in (tenant.integration, tenant.read):
        for reply in (
            client.post("/segments", {"segmentId": "t", "name": "T"}),
            client.patch("/segments/s", {"name": "T"}),
            put(client, f"/segments/s/members/{m}", {"type": "include"}),
            client.delete(f"/segments/s/members/{m}"),
        ):
            assert (reply.status, reply.code) == (403, "forbidden"), reply.text
        for path in ("/segments", "/segments/s", f"/members/{m}/segments"):
            ok(200, client.get(path))
    assert tenant_digest(tenant.tenant_id) == before


def test_another_tenants_segments_and_members_are_not_found(local_api, tenant):
    other = local_api.new_tenant()
    segment(other, "theirs")
    theirs = enrol(other, "them@example.com")
    segment(tenant, "mine")
    mine = enrol(tenant, "me@example.com")
    before = tenant_digest(tenant.tenant_id), tenant_digest(other.tenant_id)
    for reply in (
        tenant.read.get("/segments/theirs"),
        tenant.admin.patch("/segments/theirs", {"name": "x"}),
        put(tenant.admin, f"/segments/theirs/members/{mine}", {"type": "include"}),
        put(tenant.admin, f"/segments/mine/members/{theirs}", {"type": "include"}),
        tenant.admin.delete(f"/segments/mine/members/{theirs}"),
        tenant.read.get(f"/members/{theirs}/segments"),
    ):
        assert (reply.status, reply.code) == (404, "not_found"), reply.text
    assert ok(200, tenant.read.get("/segments")).data[0]["segmentId"] == "mine"
    aimed = tenant.admin.post("/offers", {**OFFER, "segmentIds": ["theirs"]})
    assert (aimed.status, aimed.code) == (400, "validation_error")
    assert (tenant_digest(tenant.tenant_id), tenant_digest(other.tenant_id)) == before


# --- member tags -------------------------------------------------------------------------------------------


def test_member_tags_are_trimmed_lower_cased_kept_once_and_replaced_by_patch(tenant):
    made = ok(201, tenant.integration.post("/members", {"email": "t@example.com", "tags": [" VIP", "vip ", "Beta"]}))
    m = made.data["memberId"]
    assert made.data["tags"] == ["vip", "beta"]
    assert ok(200, tenant.read.get(f"/members/{m}")).data["tags"] == ["vip", "beta"]
    assert ok(201, tenant.integration.post("/members", {"email": "u@example.com"})).data["tags"] == []
    changed = ok(200, tenant.integration.patch(f"/members/{m}", {"tags": ["gold card"]})).data
    assert changed["tags"] == ["gold card"]
    assert ok(200, tenant.integration.patch(f"/members/{m}", {"tags": []})).data["tags"] == []
    before = tenant_digest(tenant.tenant_id)
    for tags in ([f"t{i}" for i in range(51)], ["   "], ["x" * 65], [7], "vip", None, ["a\u0000b"]):
        reply = tenant.integration.patch(f"/members/{m}", {"tags": tags})
        assert (reply.status, reply.code) == (400, "validation_error"), (tags, reply.text)
        created = tenant.integration.post("/members", {"email": "v@example.com", "tags": tags})
        assert (created.status, created.code) == (400, "validation_error"), (tags, created.text)
    assert tenant_digest(tenant.tenant_id) == before
    fifty = ok(200, tenant.integration.patch(f"/members/{m}", {"tags": [f"T{i % 25}" for i in range(50)]})).data
    assert fifty["tags"] == [f"t{i}" for i in range(25)]  # at most 50 given, each kept once


def test_tags_count_in_segments_at_once_and_erasure_clears_them(tenant):
    segment(tenant, "vips", tags=["VIP"])
    m = enrol(tenant, "tags@example.com")
    assert in_segments(tenant, m) == {}
    ok(200, tenant.integration.patch(f"/members/{m}", {"tags": ["vip", "other"]}))
    assert in_segments(tenant, m) == {"vips": "rules"}
    ok(200, tenant.admin.delete(f"/members/{m}"))
    assert ok(200, tenant.read.get(f"/members/{m}")).data["tags"] == []
    assert in_segments(tenant, m) == {}


# --- overrides and a member's segments ---------------------------------------------------------------------------


def test_overrides_include_exclude_and_removal(tenant):
    tiered(tenant)
    segment(tenant, "gold", tierIds=["gold"])
    segment(tenant, "everyone")
    m = enrol(tenant, "o@example.com")
    assert in_segments(tenant, m) == {"everyone": "rules"}
    included = ok(200, put(tenant.admin, f"/segments/gold/members/{m}", {"type": "include"})).data
    assert (included["segmentId"], included["memberId"], included["type"]) == ("gold", m, "include")
    assert ok(200, put(tenant.admin, f"/segments/gold/members/{m}", {"type": "include"})).data == included
    assert in_segments(tenant, m) == {"everyone": "rules", "gold": "include"}
    ok(200, put(tenant.admin, f"/segments/everyone/members/{m}", {"type": "exclude"}))
    assert in_segments(tenant, m) == {"gold": "include"}  # an exclude override beats rules that hold
    ok(200, put(tenant.admin, f"/segments/gold/members/{m}", {"type": "exclude"}))  # replaces the include
    assert in_segments(tenant, m) == {}
    deleted = ok(204, tenant.admin.delete(f"/segments/everyone/members/{m}"))
    assert deleted.text == ""
    ok(204, tenant.admin.delete(f"/segments/everyone/members/{m}"))  # none left: still 204
    ok(204, tenant.admin.delete(f"/segments/gold/members/{m}"))
    assert in_segments(tenant, m) == {"everyone": "rules"}
    before = tenant_digest(tenant.tenant_id)
    for reply in (
        put(tenant.admin, f"/segments/nope/members/{m}", {"type": "include"}),
        put(tenant.admin, f"/segments/gold/members/{UNKNOWN_MEMBER}", {"type": "include"}),
        tenant.admin.delete(f"/segments/nope/members/{m}"),
        tenant.admin.delete(f"/segments/gold/members/{UNKNOWN_MEMBER}"),
        tenant.read.get(f"/members/{UNKNOWN_MEMBER}/segments"),
    ):
        assert (reply.status, reply.code) == (404, "not_found"), reply.text
    for body in ({"type": "maybe"}, {}, {"type": "include", "x": 1}, {"type": None}):
        reply = put(tenant.admin, f"/segments/gold/members/{m}", body)
        assert (reply.status, reply.code) == (400, "validation_error"), reply.text
    assert tenant_digest(tenant.tenant_id) == before


def test_every_rule_against_the_members_current_state(tenant, frozen):
    tiered(tenant)
    segment(tenant, "a-gold", tierIds=["gold"])
    segment(tenant, "b-rich", minQualified=1000)
    segment(tenant, "c-new", maxQualified=999)
    segment(tenant, "d-may", createdFrom="2026-05-01T00:00:00Z", createdTo="2026-05-01T23:59:59Z")
    segment(tenant, "e-april", createdTo="2026-04-30T23:59:59Z")
    segment(tenant, "f-gold-vip", tierIds=["gold"], tags=["vip"])
    m = enrol(tenant, "state@example.com", tags=["vip"])
    assert in_segments(tenant, m) == {"c-new": "rules", "d-may": "rules"}
    ok(201, award(tenant.integration, m, "visit"))  # 1,000 qualified points: Gold at once
    assert in_segments(tenant, m) == {"a-gold": "rules", "b-rich": "rules", "d-may": "rules", "f-gold-vip": "rules"}
    ok(200, tenant.admin.patch(f"/members/{m}", {"tierOverride": "silver"}))  # the tier the API shows
    assert in_segments(tenant, m) == {"b-rich": "rules", "d-may": "rules"}


# --- offers aimed at segments ---------------------------------------------------------------------------------

OFFER = {
    "offerCode": "GOLD10",
    "name": "Gold 10",
    "rewardType": "amount",
    "offerAmount": "10.00",
    "status": "published",
}


def redeem_offer(tenant, code: str, member_id: str | None, order_id: str) -> Reply:
    body = {"teamId": tenant.tenant_id, "offerCode": code, "orderId": order_id, "value": "50.00"}
    return tenant.integration.post("/offer-redemptions", {**body, **({"memberId": member_id} if member_id else {})})


def member_offer_codes(tenant, member_id: str) -> set[str]:
    return {o["offerCode"] for o in ok(200, tenant.read.get(f"/members/{member_id}/offers?limit=100")).data}


def test_an_offer_aimed_at_a_segment_is_for_its_members_only_and_a_new_gold_member_gets_it_at_once(tenant):
    tiered(tenant)
    segment(tenant, "gold", tierIds=["gold"])
    made = ok(201, tenant.admin.post("/offers", {**OFFER, "segmentIds": ["gold"]})).data
    assert (made["segmentIds"], made["excludedSegmentIds"]) == (["gold"], [])
    ok(201, tenant.admin.post("/offers", {**OFFER, "offerCode": "ALL5"}))
    m = enrol(tenant, "offer@example.com")
    assert member_offer_codes(tenant, m) == {"ALL5"}
    before = tenant_digest(tenant.tenant_id)
    refused = tenant.integration.post(f"/members/{m}/offers/{made['offerId']}/activation")
    assert (refused.status, refused.code) == (409, "not_eligible"), refused.text
    refused = redeem_offer(tenant, "GOLD10", m, "o-1")
    assert (refused.status, refused.code) == (409, "not_eligible"), refused.text
    anonymous = redeem_offer(tenant, "GOLD10", None, "o-2")
    assert (anonymous.status, anonymous.code) == (400, "validation_error"), anonymous.text
    assert tenant_digest(tenant.tenant_id) == before
    ok(201, award(tenant.integration, m, "visit"))  # Gold now
    assert member_offer_codes(tenant, m) == {"ALL5", "GOLD10"}
    ok(200, tenant.integration.post(f"/members/{m}/offers/{made['offerId']}/activation"))
    assert ok(201, redeem_offer(tenant, "GOLD10", m, "o-1")).data["offerCode"] == "GOLD10"
    assert ok(201, redeem_offer(tenant, "ALL5", None, "o-3")).data["offerCode"] == "ALL5"  # no segments: anyone
    assert_ledger_clean(tenant.tenant_id)


def test_an_exclusion_wins_and_overrides_decide_before_rules(tenant):
    segment(tenant, "everyone")
    segment(tenant, "vips", tags=["vip"])
    offer = ok(201, tenant.admin.post("/offers", {**OFFER, "segmentIds": ["everyone"], "excludedSegmentIds": ["vips"]}))
    offer_id = offer.data["offerId"]
    plain, vip = enrol(tenant, "plain@example.com"), enrol(tenant, "vip@example.com", tags=["vip"])
    assert (member_offer_codes(tenant, plain), member_offer_codes(tenant, vip)) == ({"GOLD10"}, set())
    assert outcome(tenant.integration.post(f"/members/{vip}/offers/{offer_id}/activation")) == "not_eligible"
    ok(200, put(tenant.admin, f"/segments/vips/members/{vip}", {"type": "exclude"}))  # out of the excluded one
    assert member_offer_codes(tenant, vip) == {"GOLD10"}
    ok(200, put(tenant.admin, f"/segments/vips/members/{plain}", {"type": "include"}))  # into the excluded one
    assert member_offer_codes(tenant, plain) == set()
    assert outcome(redeem_offer(tenant, "GOLD10", plain, "o-1")) == "not_eligible"
    ok(200, put(tenant.admin, f"/segments/everyone/members/{vip}", {"type": "exclude"}))
    assert member_offer_codes(tenant, vip) == set()
    ok(204, tenant.admin.delete(f"/segments/everyone/members/{vip}"))
    ok(200, tenant.admin.patch(f"/offers/{offer_id}", {"excludedSegmentIds": []}))
    assert member_offer_codes(tenant, plain) == {"GOLD10"}
    assert ok(201, redeem_offer(tenant, "GOLD10", plain, "o-2")).status == 201


def test_unknown_or_repeated_segment_ids_on_offers_and_rewards_are_refused_and_nothing_is_stored(tenant):
    segment(tenant, "s")
    ok(201, tenant.admin.post("/rewards", {"rewardId": "r", "name": "R", "pointsCost": 5, "fulfillment": "manual"}))
    offer_id = ok(201, tenant.admin.post("/offers", OFFER)).data["offerId"]
    before = tenant_digest(tenant.tenant_id)
    bodies = [
        {"segmentIds": ["nope"]},
        {"excludedSegmentIds": ["s", "nope"]},
        {"segmentIds": ["s", "s"]},
        {"segmentIds": ["bad id"]},
        {"segmentIds": "s"},
        {"segmentIds": [f"s{i}" for i in range(21)]},
        {"segmentIds": None},
    ]
    for body in bodies:
        for reply in (
            tenant.admin.post("/offers", {**OFFER, "offerCode": "NEW", **body}),
            tenant.admin.patch(f"/offers/{offer_id}", body),
            tenant.admin.post(
                "/rewards", {"rewardId": "r2", "name": "R", "pointsCost": 5, "fulfillment": "manual", **body}
            ),
            tenant.admin.patch("/rewards/r", body),
        ):
            assert (reply.status, reply.code) == (400, "validation_error"), (body, reply.text)
    assert tenant_digest(tenant.tenant_id) == before


# --- rewards aimed at segments ------------------------------------------------------------------------------------


def test_a_reward_outside_the_members_segments_is_listed_not_eligible_and_refused(tenant):
    tiered(tenant)
    segment(tenant, "gold", tierIds=["gold"])
    segment(tenant, "blocked")
    body = {"name": "Mug", "pointsCost": 10, "fulfillment": "manual", "isActive": True}
    made = ok(201, tenant.admin.post("/rewards", {"rewardId": "mug", **body, "segmentIds": ["gold"]})).data
    assert (made["segmentIds"], made["excludedSegmentIds"]) == (["gold"], [])
    ok(201, tenant.admin.post("/rewards", {"rewardId": "pen", **body}))
    activity(tenant.admin, "small", points=100)
    m = enrol(tenant, "reward@example.com")
    ok(201, award(tenant.integration, m, "small"))
    rewards = {r["rewardId"]: r for r in ok(200, tenant.read.get(f"/members/{m}/rewards")).data}
    assert (rewards["mug"]["eligible"], rewards["mug"]["ineligibleReasons"]) == (False, ["segment"])
    assert rewards["pen"]["eligible"] is True
    assert [r["rewardId"] for r in ok(200, tenant.read.get(f"/members/{m}/rewards?eligible=true")).data] == ["pen"]
    before = tenant_digest(tenant.tenant_id)
    refused = tenant.integration.post(f"/members/{m}/redemptions", {"rewardId": "mug"})
    assert (refused.status, refused.code) == (409, "not_eligible"), refused.text
    assert tenant_digest(tenant.tenant_id) == before
    ok(201, award(tenant.integration, m, "visit"))  # Gold at once
    assert ok(201, tenant.integration.post(f"/members/{m}/redemptions", {"rewardId": "mug"})).data["rewardId"] == "mug"
    ok(200, tenant.admin.patch("/rewards/mug", {"excludedSegmentIds": ["blocked"]}))
    ok(200, put(tenant.admin, f"/segments/gold/members/{m}", {"type": "include"}))
    rewards = {r["rewardId"]: r for r in ok(200, tenant.read.get(f"/members/{m}/rewards")).data}
    assert rewards["mug"]["ineligibleReasons"] == ["segment"]  # in "blocked" (no rules: everyone): excluded
    assert outcome(tenant.integration.post(f"/members/{m}/redemptions", {"rewardId": "mug"})) == "not_eligible"
    assert_ledger_clean(tenant.tenant_id)


# --- bounded reads ---------------------------------------------------------------------------------------------


def test_a_check_reads_by_key_the_same_whatever_a_segments_size(tenant):
    """A targeted redemption and a member's segments: one BatchGetItem for the segments and overrides, no index
    Query, no Scan, the same count with 2 members in the segment as with 40 (20 of them included by override)."""
    segment(tenant, "club", tags=["club"])
    body = {"name": "Mug", "pointsCost": 1, "fulfillment": "manual", "isActive": True, "segmentIds": ["club"]}
    ok(201, tenant.admin.post("/rewards", {"rewardId": "mug", **body}))
    activity(tenant.admin, "small", points=100)

    def counted(probe: str) -> tuple[dict[str, int], dict[str, int]]:
        m = enrol(tenant, f"{probe}@example.com", tags=["club"])
        ok(201, award(tenant.integration, m, "small"))
        with recorded() as calls:
            ok(201, tenant.integration.post(f"/members/{m}/redemptions", {"rewardId": "mug"}))
        redemption = dict(by_api(calls))
        with recorded() as calls:
            ok(200, tenant.read.get(f"/members/{m}/segments"))
        return redemption, dict(by_api(calls))

    counts = [counted("small")]
    for i in range(20):
        enrol(tenant, f"c{i}@example.com", tags=["club"])
        ok(200, put(tenant.admin, f"/segments/club/members/{enrol(tenant, f'i{i}@example.com')}", {"type": "include"}))
    counts.append(counted("large"))
    assert counts[0] == counts[1], counts
    redemption, listing = counts[0]
    assert "Scan" not in redemption and "Query" not in redemption, redemption
    assert (listing["Query"], listing["BatchGetItem"], "Scan" in listing) == (1, 1, False), listing
