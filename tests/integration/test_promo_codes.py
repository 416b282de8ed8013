"""Promo codes over the local API (contract section 11): shared codes, single-use pools, limits, dates, scope."""

from collections import Counter

import pytest

from tests.support.concurrency import at_once
from tests.support.ledger import activity, assert_ledger_clean, balance, member
from tests.support.local import ok, tenant_digest


def _promo(tenant, **fields):
    activity(tenant.admin, fields.pop("activity", "promo"), points=fields.pop("points", 50))
    body = {"code": "Summer25", "activityId": "promo", **fields}
    return ok(201, tenant.admin.post("/promo-codes", body)).data


def _use(client, member_id, code):
    return client.post(f"/members/{member_id}/promo-codes", {"code": code})


def test_a_shared_code_earns_once_per_member_in_any_case(tenant):
    created = _promo(tenant, maxUsesTotal=3)
    assert created["code"] == "SUMMER25" and created["maxUsesPerMember"] == 1 and created["usesTotal"] == 0
    assert created["singleUse"] is False and created["pool"] is None and created["status"] == "active"
    m = member(tenant.integration, "a@example.com")
    used = ok(201, _use(tenant.integration, m, "summer25")).data
    assert used["promoCode"] == "SUMMER25" and used["code"] == "SUMMER25" and used["points"] == 50
    entry = tenant.read.get(f"/transactions/{used['transactionId']}").data
    assert entry["type"] == "award" and entry["points"] == 50 and entry["activityId"] == "promo"
    assert balance(tenant.read, m)["available"] == 50
    assert _use(tenant.integration, m, "SUMMER25").code == "limit_reached"
    got = tenant.read.get("/promo-codes/sUmMeR25").data
    assert got["usesTotal"] == 1
    assert [p["code"] for p in tenant.read.get("/promo-codes").data] == ["SUMMER25"]
    assert tenant.read.get("/promo-codes?status=disabled").data == []
    assert_ledger_clean(tenant.tenant_id)


def test_a_single_use_pool(tenant):
    created = _promo(tenant, code="flyer", singleUse=True, maxUsesPerMember=None)
    assert created["pool"] == {"total": 0, "available": 0, "issued": 0} and created["maxUsesPerMember"] is None
    added = ok(200, tenant.admin.post("/promo-codes/FLYER/codes", {"codes": ["ab-1", "AB-1", "ab-2", "Ab-3"]})).data
    assert added == {"added": 3, "skipped": 1, "pool": {"total": 3, "available": 3, "issued": 0}}
    again = ok(200, tenant.admin.post("/promo-codes/flyer/codes", {"codes": ["AB-3", "ab-4", "FLYER"]})).data
    assert again["added"] == 1 and again["skipped"] == 2  # AB-3 in the pool, FLYER the promotion's own code
    m = member(tenant.integration, "p@example.com")
    assert _use(tenant.integration, m, "flyer").status == 404  # the name is not a code to type
    used = ok(201, _use(tenant.integration, m, "ab-1")).data
    assert used == {**used, "promoCode": "FLYER", "code": "AB-1", "points": 50}
    assert _use(tenant.integration, m, "AB-1").code == "already_redeemed"
    ok(201, _use(tenant.integration, m, "ab-2"))  # no per-member limit
    got = tenant.read.get("/promo-codes/flyer").data
    assert got["usesTotal"] == 2 and got["pool"] == {"total": 4, "available": 2, "issued": 2}
    # used codes can't come back, and a shared promotion can't take pool codes nor use another's code
    assert ok(200, tenant.admin.post("/promo-codes/FLYER/codes", {"codes": ["AB-1"]})).data["skipped"] == 1
    assert tenant.admin.post("/promo-codes", {"code": "ab-4", "activityId": "promo"}).code == "duplicate"
    ok(201, tenant.admin.post("/promo-codes", {"code": "shared", "activityId": "promo"}))
    assert tenant.admin.post("/promo-codes/shared/codes", {"codes": ["X"]}).code == "invalid_state"
    assert ok(200, tenant.admin.post("/promo-codes/FLYER/codes", {"codes": ["Shared"]})).data["skipped"] == 1
    assert_ledger_clean(tenant.tenant_id)


def test_disable_and_dates(tenant, frozen):
    # the frozen clock stands at 2026-05-01T09:00:00Z
    _promo(tenant, startDate="2026-05-01T09:00:01Z", endDate="2026-05-02T09:00:00Z", maxUsesPerMember=10)
    m = member(tenant.integration, "d@example.com")
    assert _use(tenant.integration, m, "SUMMER25").code == "invalid_state"  # a second before its start
    frozen.advance(seconds=1)
    ok(201, _use(tenant.integration, m, "SUMMER25"))  # at its start
    ok(200, tenant.admin.patch("/promo-codes/summer25", {"status": "disabled"}))
    assert _use(tenant.integration, m, "SUMMER25").code == "invalid_state"
    assert tenant.read.get("/promo-codes?status=disabled").data[0]["status"] == "disabled"
    ok(200, tenant.admin.patch("/promo-codes/summer25", {"status": "active"}))
    frozen.advance(days=1, seconds=-1)
    ok(201, _use(tenant.integration, m, "SUMMER25"))  # at its end
    frozen.advance(seconds=1)
    assert _use(tenant.integration, m, "SUMMER25").code == "invalid_state"  # a second after
    patched = ok(200, tenant.admin.patch("/promo-codes/summer25", {"endDate": None})).data
    assert patched["endDate"] is None and patched["usesTotal"] == 2
    ok(201, _use(tenant.integration, m, "SUMMER25"))
    bad = tenant.admin.patch("/promo-codes/summer25", {"endDate": "2026-04-01T00:00:00Z"})
    assert bad.code == "validation_error"  # before its start
    assert tenant.admin.patch("/promo-codes/summer25", {"maxUsesTotal": 5}).code == "validation_error"
    assert_ledger_clean(tenant.tenant_id)


def test_the_activity_s_rules_apply(tenant):
    activity(tenant.admin, "manual", points=20, approvalMethod="manual")
    ok(201, tenant.admin.post("/promo-codes", {"code": "LATER", "activityId": "manual"}))
    m = member(tenant.integration, "r@example.com")
    used = ok(201, _use(tenant.integration, m, "later")).data
    assert tenant.read.get(f"/transactions/{used['transactionId']}").data["status"] == "pending"
    assert balance(tenant.read, m)["pending"] == 20
    activity(tenant.admin, "capped", points=5, maxAwardFrequency=1, maxAwardFrequencyInterval="day")
    ok(201, tenant.admin.post("/promo-codes", {"code": "CAP1", "activityId": "capped"}))
    ok(201, tenant.admin.post("/promo-codes", {"code": "CAP2", "activityId": "capped"}))
    ok(201, _use(tenant.integration, m, "cap1"))
    assert _use(tenant.integration, m, "cap2").code == "frequency_limit_reached"
    ok(200, tenant.admin.patch("/activities/capped", {"isActive": False}))
    n = member(tenant.integration, "n@example.com")
    assert _use(tenant.integration, n, "cap2").code == "activity_inactive"
    activity(tenant.admin, "times", type="multiplier", multiplier=2)
    bad = tenant.admin.post("/promo-codes", {"code": "TIMES", "activityId": "times"})
    assert bad.code == "validation_error"
    assert tenant.admin.post("/promo-codes", {"code": "NONE", "activityId": "nope"}).code == "validation_error"
    assert_ledger_clean(tenant.tenant_id)


def test_odd_input_is_400_and_nothing_is_stored(tenant):
    activity(tenant.admin, "promo", points=5)
    ok(201, tenant.admin.post("/promo-codes", {"code": "POOL", "activityId": "promo", "singleUse": True}))
    m = member(tenant.integration, "o@example.com")
    before = tenant_digest(tenant.tenant_id)
    base = {"code": "NEW1", "activityId": "promo"}
    for bad in (
        {**base, "code": ""},
        {**base, "code": "has space"},
        {**base, "code": " NEW1"},
        {**base, "code": "x" * 65},
        {**base, "maxUsesTotal": 0},
        {**base, "maxUsesPerMember": 0},
        {**base, "singleUse": "yes"},
        {**base, "startDate": "tomorrow"},
        {**base, "startDate": "2026-06-02T00:00:00Z", "endDate": "2026-06-01T00:00:00Z"},
        {**base, "startDate": "2026-06-01T00:00:00Z", "endDate": "2026-06-01T00:00:00Z"},
        {**base, "unknown": 1},
        {"code": "NEW1"},
    ):
        assert tenant.admin.post("/promo-codes", bad).code == "validation_error", bad
    for codes in ([], [f"C{i}" for i in range(1001)], ["with space"], [" X"], [""], ["X\t"]):
        assert tenant.admin.post("/promo-codes/POOL/codes", {"codes": codes}).code == "validation_error", codes
    assert tenant.admin.post("/promo-codes/POOL/codes", {"codes": ["A"], "extra": True}).code == "validation_error"
    for body in ({"code": ""}, {"code": " POOL"}, {"code": "a b"}, {}, {"code": "X", "memberId": m}):
        assert tenant.integration.post(f"/members/{m}/promo-codes", body).code == "validation_error", body
    assert tenant.admin.patch("/promo-codes/POOL", {"status": "paused"}).code == "validation_error"
    assert tenant_digest(tenant.tenant_id) == before
    assert _use(tenant.integration, m, "NOPE").status == 404
    assert tenant.read.get("/promo-codes/NOPE").status == 404
    assert tenant.admin.patch("/promo-codes/NOPE", {"status": "disabled"}).status == 404
    assert tenant.admin.post("/promo-codes/NOPE/codes", {"codes": ["A"]}).status == 404
    assert tenant_digest(tenant.tenant_id) == before


def test_scope_and_other_tenants(tenant, local_api):
    _promo(tenant, singleUse=True, code="POOL")
    ok(200, tenant.admin.post("/promo-codes/POOL/codes", {"codes": ["Z-1"]}))
    m = member(tenant.integration, "s@example.com")
    for client in (tenant.integration, tenant.read):
        assert client.post("/promo-codes", {"code": "X", "activityId": "promo"}).status == 403
        assert client.post("/promo-codes/POOL/codes", {"codes": ["Z-2"]}).status == 403
        assert client.patch("/promo-codes/POOL", {"status": "disabled"}).status == 403
    assert tenant.read.post(f"/members/{m}/promo-codes", {"code": "Z-1"}).status == 403
    ok(200, tenant.read.get("/promo-codes/POOL"))
    other = local_api.new_tenant()
    o = member(other.integration, "s@example.com")
    assert other.read.get("/promo-codes/POOL").status == 404
    assert other.integration.post(f"/members/{o}/promo-codes", {"code": "Z-1"}).status == 404
    assert other.integration.post(f"/members/{m}/promo-codes", {"code": "Z-1"}).status == 404
    assert other.admin.post("/promo-codes/POOL/codes", {"codes": ["Q"]}).status == 404
    assert other.admin.patch("/promo-codes/POOL", {"status": "disabled"}).status == 404
    assert other.read.get("/promo-codes").data == []
    ok(201, _use(tenant.integration, m, "z-1"))


def test_idempotency_key_replays_a_use(tenant):
    _promo(tenant, maxUsesPerMember=5)
    m = member(tenant.integration, "k@example.com")
    headers = {"Idempotency-Key": "use-1"}
    first = ok(201, tenant.integration.post(f"/members/{m}/promo-codes", {"code": "SUMMER25"}, headers=headers))
    again = ok(201, tenant.integration.post(f"/members/{m}/promo-codes", {"code": "SUMMER25"}, headers=headers))
    assert again.text == first.text and again.headers.get("idempotent-replayed") == "true"
    assert balance(tenant.read, m)["available"] == 50


pytestmark_concurrency = pytest.mark.xdist_group("concurrency")


@pytestmark_concurrency
def test_100_members_race_for_a_single_use_pool_of_10(local_api, tenant):
    _promo(tenant, code="POOL", singleUse=True)
    ok(200, tenant.admin.post("/promo-codes/POOL/codes", {"codes": [f"P-{i}" for i in range(10)]}))
    members = [member(tenant.integration, f"m{i}@example.com") for i in range(100)]
    # each member types one of the 10 codes: ten members per code
    replies = at_once(local_api, 100, lambda i: _use(tenant.integration, members[i], f"p-{i % 10}"))
    outcome = Counter((r.status, r.code) for r in replies)
    assert outcome == {(201, None): 10, (409, "already_redeemed"): 90}, outcome
    assert sorted(r.data["code"] for r in replies if r.status == 201) == sorted(f"P-{i}" for i in range(10))
    got = tenant.read.get("/promo-codes/POOL").data
    assert got["usesTotal"] == 10 and got["pool"] == {"total": 10, "available": 0, "issued": 10}
    paid = sum(balance(tenant.read, m)["available"] for m in members)
    assert paid == 10 * 50
    assert_ledger_clean(tenant.tenant_id)


@pytestmark_concurrency
def test_100_members_race_for_a_shared_code_with_10_uses(local_api, tenant):
    _promo(tenant, maxUsesTotal=10)
    members = [member(tenant.integration, f"m{i}@example.com") for i in range(100)]
    replies = at_once(local_api, 100, lambda i: _use(tenant.integration, members[i], "SUMMER25"))
    outcome = Counter((r.status, r.code) for r in replies)
    assert outcome == {(201, None): 10, (409, "limit_reached"): 90}, outcome
    assert tenant.read.get("/promo-codes/SUMMER25").data["usesTotal"] == 10
    assert sum(balance(tenant.read, m)["available"] for m in members) == 10 * 50
    assert_ledger_clean(tenant.tenant_id)


@pytestmark_concurrency
def test_one_member_sends_20_uses_of_a_code_limited_to_3_per_member(local_api, tenant):
    _promo(tenant, maxUsesPerMember=3, code="POOL", singleUse=True)
    ok(200, tenant.admin.post("/promo-codes/POOL/codes", {"codes": [f"Q-{i}" for i in range(20)]}))
    m = member(tenant.integration, "one@example.com")
    replies = at_once(local_api, 20, lambda i: _use(tenant.integration, m, f"Q-{i}"))
    outcome = Counter((r.status, r.code) for r in replies)
    assert outcome == {(201, None): 3, (409, "limit_reached"): 17}, outcome
    assert balance(tenant.read, m)["available"] == 150
    got = tenant.read.get("/promo-codes/POOL").data
    assert got["usesTotal"] == 3 and got["pool"] == {"total": 20, "available": 17, "issued": 3}
    assert_ledger_clean(tenant.tenant_id)


def test_the_checker_sees_every_promo_counter_out_of_step(tenant):
    from loyalty.repository import promo_codes as promos_db
    from loyalty.repository import redemptions as redemptions_db
    from loyalty.repository import store
    from loyalty.services import checker

    _promo(tenant, code="POOL", singleUse=True)
    ok(201, tenant.admin.post("/promo-codes", {"code": "SHARED", "activityId": "promo", "maxUsesTotal": 5}))
    ok(200, tenant.admin.post("/promo-codes/POOL/codes", {"codes": ["A", "B", "C"]}))
    m = member(tenant.integration, "c@example.com")
    ok(201, _use(tenant.integration, m, "a"))
    ok(201, _use(tenant.integration, m, "shared"))
    ok(201, tenant.admin.post("/rewards", {"rewardId": "mug", "name": "Mug", "pointsCost": 5, "fulfillment": "manual"}))
    ok(200, tenant.admin.patch("/rewards/mug", {"isActive": True}))
    granted = ok(201, tenant.admin.post(f"/members/{m}/reward-grants", {"rewardId": "mug", "reason": "x"})).data
    assert_ledger_clean(tenant.tenant_id)
    t = tenant.tenant_id
    pool = promos_db.pool(t, store.get(promos_db.key(t, "POOL")))
    shared = promos_db.usage(t, store.get(promos_db.key(t, "SHARED")))
    shared_key, counter_key = shared.key(0), promos_db.member_uses_key(t, m, "SHARED")
    grant_key = redemptions_db.key(t, granted["redemptionId"])
    plants = [
        (shared_key, store.update(shared_key, add={"uses": 1}), "usesTotal differs"),
        (counter_key, store.update(counter_key, add={"count": 1}), "uses of promo code SHARED"),
        (pool.issued_key("A"), store.delete(pool.issued_key("A")), "issued differs"),
        (pool.entry_key("B"), store.delete(pool.entry_key("B")), "available differs"),
        (promos_db.guard_key(t, "C"), store.delete(promos_db.guard_key(t, "C")), "a pool code not guarded"),
        (grant_key, store.update(grant_key, set_values={"transactionId": "01X"}), "0 points that is not a grant"),
    ]
    for key, plant, said in plants:
        kept = store.get(key)
        store.transact([plant])
        found = str(checker.check([t])["problems"])
        assert said in found, (said, found)
        store.transact([store.put(kept) if kept is not None else store.delete(key)])
    assert_ledger_clean(t)
