"""What a member can redeem (GET /members/{memberId}/rewards), rewards' dates, their period limits and the
inactive default (contract section 10), over the local API.

The list's first reason is the refusal POST /members/{id}/redemptions answers at that moment: both come from
services.redemptions.ineligible_reasons, and the tests below compare them for a table of cases and for
generated members and rewards.
"""

from collections import Counter
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from tests.support.concurrency import at_once
from tests.support.ledger import activity, assert_ledger_clean, award, member, outcome
from tests.support.local import ok, tenant_digest
from tests.support.machines import fixed_constants

# the refusal of POST /members/{id}/redemptions for each first reason (contract section 10)
REFUSAL = {
    "member_inactive": "invalid_state",
    "not_started": "reward_inactive",
    "ended": "reward_inactive",
    "coupon_expired": "reward_inactive",
    "tier": "not_eligible",
    "member_limit_reached": "frequency_limit_reached",
    "insufficient_points": "insufficient_points",
    "out_of_stock": "out_of_stock",
}
NOW = "2026-05-01T09:00:00Z"  # the `frozen` fixture's clock
UNKNOWN = "01ARZ3NDEKTSV4RRFFQ69G5FAV"


def reward(tenant, reward_id, *, codes=0, **fields):
    body = {"rewardId": reward_id, "name": reward_id.title(), "pointsCost": 100, "fulfillment": "manual"}
    reply = tenant.admin.post("/rewards", {**body, "isActive": True, **fields})
    assert reply.status == 201, reply.text
    if codes:
        ok(200, tenant.admin.post(f"/rewards/{reward_id}/codes", {"codes": [f"{reward_id}-{i}" for i in range(codes)]}))
    return reply.data


def funded(tenant, email, points):
    if tenant.read.get("/activities/grant").status == 404:
        activity(tenant.admin, "grant", points=1)
    m = member(tenant.integration, email)
    if points:
        assert award(tenant.integration, m, "grant", points=points).status == 201
    return m


def listed(tenant, m, query="", limit=2):
    """The member's whole reward list (every page), by rewardId."""
    out, token = {}, None
    while True:
        reply = tenant.read.get(f"/members/{m}/rewards?limit={limit}{query}" + (f"&nextToken={token}" if token else ""))
        assert reply.status == 200, reply.text
        out.update({r["rewardId"]: r for r in reply.data})
        token = reply.json["nextToken"]
        if not token:
            return out


def redeem(tenant, m, reward_id):
    return tenant.integration.post(f"/members/{m}/redemptions", {"rewardId": reward_id})


def assert_list_predicts_redemption(tenant, m, reward_id, limit=2):
    """The list's verdict on one reward, then the redemption: same refusal, or eligible and redeemed."""
    entry = listed(tenant, m, limit=limit)[reward_id]
    reply = redeem(tenant, m, reward_id)
    reasons = entry["ineligibleReasons"]
    assert entry["eligible"] is (not reasons)
    assert outcome(reply) == (REFUSAL[reasons[0]] if reasons else 201), (reward_id, reasons, reply.text)
    return reasons


def tiers(tenant):
    tiers = [{"tierId": "base", "name": "Base", "threshold": 0}, {"tierId": "gold", "name": "Gold", "threshold": 10**6}]
    ok(200, tenant.admin.patch("/program", {"tiers": tiers}))


def test_a_reward_starts_inactive_and_is_not_listed_until_activated(tenant, frozen):
    made = tenant.admin.post("/rewards", {"rewardId": "mug", "name": "Mug", "pointsCost": 10, "fulfillment": "manual"})
    assert made.status == 201 and made.data["isActive"] is False
    assert made.data["maxPerMemberInterval"] == "lifetime" and made.data["startDate"] is None
    m = funded(tenant, "a@example.com", 100)
    assert listed(tenant, m) == {}
    assert redeem(tenant, m, "mug").code == "reward_inactive"
    ok(200, tenant.admin.patch("/rewards/mug", {"isActive": True}))
    assert listed(tenant, m)["mug"]["eligible"] is True
    assert redeem(tenant, m, "mug").status == 201
    assert_ledger_clean(tenant.tenant_id)


def test_dates_bound_redemption_and_the_list_says_why(tenant, frozen):
    reward(tenant, "soon", startDate="2026-05-02T00:00:00Z")
    reward(tenant, "over", endDate="2026-05-01T08:59:59Z")
    reward(tenant, "now", startDate="2026-05-01T09:00:00Z", endDate="2026-05-01T09:00:01Z")
    reward(tenant, "stale", fulfillment="coupon", codes=1, couponExpiry="2026-04-30")
    m = funded(tenant, "b@example.com", 1000)
    reasons = {rid: r["ineligibleReasons"] for rid, r in listed(tenant, m).items()}
    assert reasons == {"soon": ["not_started"], "over": ["ended"], "now": [], "stale": ["coupon_expired"]}
    for reward_id in ("soon", "over", "stale"):
        reply = redeem(tenant, m, reward_id)
        assert (reply.status, reply.code) == (409, "reward_inactive"), reply.text
    assert redeem(tenant, m, "now").status == 201
    frozen.current += timedelta(seconds=2)  # past the end of "now"
    assert redeem(tenant, m, "now").code == "reward_inactive"
    frozen.current += timedelta(days=1)
    assert listed(tenant, m)["soon"]["ineligibleReasons"] == []
    assert redeem(tenant, m, "soon").status == 201
    assert_ledger_clean(tenant.tenant_id)


def test_every_reason_in_order_and_the_first_is_the_redemptions_refusal(tenant, frozen):
    """A table of cases: each reason first at least once, and several at once in the redemption's order."""
    tiers(tenant)
    reward(tenant, "a-gold", tierIds=["gold"])
    reward(tenant, "b-once", pointsCost=10, maxPerMember=1, maxPerMemberInterval="day")
    reward(tenant, "c-dear", pointsCost=5000)
    reward(tenant, "d-empty", fulfillment="coupon", pointsCost=10)
    reward(tenant, "e-late", startDate="2026-06-01T00:00:00Z", tierIds=["gold"], pointsCost=5000)
    reward(tenant, "f-fine", pointsCost=10)
    reward(tenant, "g-off", isActive=False)
    rich = funded(tenant, "rich@example.com", 1000)
    ok(201, redeem(tenant, rich, "b-once"))
    first = {rid: r["ineligibleReasons"] for rid, r in listed(tenant, rich).items()}
    assert first == {
        "a-gold": ["tier"],
        "b-once": ["member_limit_reached"],
        "c-dear": ["insufficient_points"],
        "d-empty": ["out_of_stock"],
        "e-late": ["not_started", "tier", "insufficient_points"],
        "f-fine": [],
    }
    assert set(listed(tenant, rich, "&eligible=true")) == {"f-fine"}
    for reward_id in sorted(first):
        assert_list_predicts_redemption(tenant, rich, reward_id)
    poor = funded(tenant, "poor@example.com", 0)
    ok(200, tenant.integration.patch(f"/members/{poor}", {"status": "suspended"}))
    everything = listed(tenant, poor)
    assert everything["f-fine"]["ineligibleReasons"] == ["member_inactive", "insufficient_points"]
    assert everything["e-late"]["ineligibleReasons"] == [
        "member_inactive",
        "not_started",
        "tier",
        "insufficient_points",
    ]
    assert listed(tenant, poor, "&eligible=true") == {}
    for reward_id in sorted(everything):
        assert assert_list_predicts_redemption(tenant, poor, reward_id)[0] == "member_inactive"
    assert_ledger_clean(tenant.tenant_id)


def test_the_limit_counts_in_utc_windows_by_the_servers_clock(tenant, frozen):
    reward(tenant, "daily", pointsCost=10, maxPerMember=1, maxPerMemberInterval="day")
    reward(tenant, "weekly", pointsCost=10, maxPerMember=2, maxPerMemberInterval="week")
    m = funded(tenant, "c@example.com", 1000)
    frozen.current = frozen.current.replace(hour=23, minute=59, second=59)  # Friday 2026-05-01, the day's last second
    kept = redeem(tenant, m, "daily").data
    assert redeem(tenant, m, "daily").code == "frequency_limit_reached"
    assert listed(tenant, m)["daily"]["ineligibleReasons"] == ["member_limit_reached"]
    ok(200, tenant.admin.post(f"/redemptions/{kept['redemptionId']}/cancel", {"reason": "x"}))
    late = redeem(tenant, m, "daily").data  # a cancel in the same window gives the use back
    frozen.advance(seconds=1)  # Saturday 00:00:00 UTC: a new day
    assert listed(tenant, m)["daily"]["eligible"] is True
    assert redeem(tenant, m, "daily").status == 201
    ok(200, tenant.admin.post(f"/redemptions/{late['redemptionId']}/cancel", {"reason": "x"}))
    assert redeem(tenant, m, "daily").code == "frequency_limit_reached"  # yesterday's cancel gives today nothing
    assert [redeem(tenant, m, "weekly").status for _ in range(3)] == [201, 201, 409]
    frozen.advance(days=1)  # Sunday: the same ISO week
    assert redeem(tenant, m, "weekly").code == "frequency_limit_reached"
    frozen.advance(days=1)  # Monday: the next
    assert redeem(tenant, m, "weekly").status == 201
    assert_ledger_clean(tenant.tenant_id)


def test_a_lifetime_limit_becomes_a_daily_one(tenant, frozen):
    reward(tenant, "cup", pointsCost=10, maxPerMember=1)
    m = funded(tenant, "d@example.com", 1000)
    ok(201, redeem(tenant, m, "cup"))
    assert redeem(tenant, m, "cup").code == "frequency_limit_reached"
    updated = tenant.admin.patch("/rewards/cup", {"maxPerMemberInterval": "day"})
    assert updated.status == 200 and updated.data["maxPerMemberInterval"] == "day"
    assert redeem(tenant, m, "cup").status == 201  # today's window counts from the change on
    assert redeem(tenant, m, "cup").code == "frequency_limit_reached"
    assert_ledger_clean(tenant.tenant_id)


@pytest.mark.xdist_group("concurrency")
def test_ten_at_once_under_a_limit_of_one_a_day_give_one_each_day(local_api, tenant, frozen):
    reward(tenant, "daily", pointsCost=10, maxPerMember=1, maxPerMemberInterval="day")
    m = funded(tenant, "e@example.com", 1000)
    for day in range(2):
        replies = at_once(local_api, 10, lambda i: redeem(tenant, m, "daily"))
        got = Counter(outcome(r) for r in replies)
        assert got == {201: 1, "frequency_limit_reached": 9}, (day, got)
        frozen.advance(days=1)
    mine = tenant.read.get(f"/members/{m}/redemptions?limit=100").data
    assert sorted(r["createdAt"][:10] for r in mine) == ["2026-05-01", "2026-05-02"]
    assert tenant.read.get(f"/members/{m}").data["balance"]["available"] == 980
    assert_ledger_clean(tenant.tenant_id)


def test_bad_input_is_refused_and_stores_nothing(local_api, tenant, frozen):
    reward(tenant, "mug", startDate="2026-05-01T00:00:00Z")
    m = funded(tenant, "f@example.com", 0)
    before = tenant_digest(tenant.tenant_id)
    base = {"rewardId": "x", "name": "X", "pointsCost": 1, "fulfillment": "manual"}
    refused = [
        tenant.admin.post("/rewards", {**base, "maxPerMemberInterval": "hour"}),
        tenant.admin.post("/rewards", {**base, "maxPerMemberInterval": None}),
        tenant.admin.post("/rewards", {**base, "startDate": "2026-06-01T00:00:00Z", "endDate": "2026-05-01T00:00:00Z"}),
        tenant.admin.post("/rewards", {**base, "startDate": "2026-06-01T00:00:00Z", "endDate": "2026-06-01T00:00:00Z"}),
        tenant.admin.post("/rewards", {**base, "startDate": "2026-06-01"}),
        tenant.admin.patch("/rewards/mug", {"endDate": "2026-04-30T00:00:00Z"}),
        tenant.admin.patch("/rewards/mug", {"maxPerMemberInterval": "fortnight"}),
        tenant.read.get(f"/members/{m}/rewards?eligible=yes"),
        tenant.read.get(f"/members/{m}/rewards?limit=0"),
        tenant.read.get(f"/members/{m}/rewards?nextToken=bogus"),
    ]
    assert [r.status for r in refused] == [400] * len(refused), [r.text for r in refused]
    assert all(r.code == "validation_error" for r in refused)
    assert tenant.admin.patch("/rewards/mug", {"endDate": "2026-04-30T00:00:00Z"}).json["error"]["details"] == [
        {"field": "endDate", "message": "must be after startDate"}
    ]
    assert tenant.read.get(f"/members/{UNKNOWN}/rewards").status == 404
    assert local_api.new_tenant().read.get(f"/members/{m}/rewards").status == 404  # another tenant's member
    assert tenant_digest(tenant.tenant_id) == before
    assert tenant.read.get(f"/members/{m}/rewards").status == 200  # read scope suffices


@st.composite
def worlds(draw):
    """Rewards, members and the redemptions to try, drawn from the values that move each rule."""
    rewards = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "fulfillment": st.sampled_from(["manual", "coupon"]),
                    "pointsCost": st.sampled_from([10, 60, 400]),
                    "tierIds": st.sampled_from([[], [], ["gold"], ["base"]]),
                    "maxPerMember": st.sampled_from([None, 1, 1, 2]),
                    "maxPerMemberInterval": st.sampled_from(["day", "lifetime"]),
                    "dates": st.sampled_from(["none", "none", "none", "current", "future", "past"]),
                    "couponExpiry": st.sampled_from([None, None, None, "2026-04-30", "2026-05-01"]),
                    "codes": st.sampled_from([0, 0, 1, 2]),
                }
            ),
            min_size=1,
            max_size=4,
        )
    )
    members = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "points": st.sampled_from([0, 50, 150, 800, 800]),
                    "suspended": st.sampled_from([False, False, False, False, True]),
                    "gold": st.booleans(),
                }
            ),
            min_size=1,
            max_size=3,
        )
    )
    pair = st.tuples(st.integers(0, len(members) - 1), st.integers(0, len(rewards) - 1))
    tries = draw(st.lists(pair, min_size=2, max_size=6).flatmap(lambda some: st.just(some + some)))  # each twice
    return rewards, members, tries


DATES = {
    "none": {},
    "current": {"startDate": "2026-05-01T00:00:00Z", "endDate": "2026-05-01T23:59:59Z"},
    "future": {"startDate": "2026-05-02T00:00:00Z"},
    "past": {"endDate": "2026-05-01T08:00:00Z"},
}


def _spec(fulfillment="coupon", cost=10, tiers=(), limit=None, dates="none", expiry=None, codes=1):
    return {
        "fulfillment": fulfillment,
        "pointsCost": cost,
        "tierIds": list(tiers),
        "maxPerMember": limit,
        "maxPerMemberInterval": "lifetime",
        "dates": dates,
        "couponExpiry": expiry,
        "codes": codes,
    }


# One world that meets every reason whatever the draws do (run first, as an explicit example): r0 eligible
# once then member_limit_reached, r1 not_started, r2 tier, r3 coupon_expired, r4 out_of_stock,
# r5 insufficient_points, r6 ended; member 1 is suspended (member_inactive).
EVERY_REASON = (
    [
        _spec("manual", limit=1, codes=0),
        _spec(dates="future"),
        _spec(tiers=["gold"]),
        _spec(expiry="2026-04-30"),
        _spec(codes=0),
        _spec("manual", cost=400, codes=0),
        _spec(dates="past"),
    ],
    [
        {"points": 150, "suspended": False, "gold": False},
        {"points": 150, "suspended": True, "gold": False},
    ],
    [(0, 0), (0, 1), (0, 2), (0, 3), (0, 4), (0, 5), (0, 6), (1, 0)] * 2,
)


def test_for_generated_members_and_rewards_the_first_reason_is_the_redemptions_answer(local_api, frozen):
    seen = Counter()

    @settings(
        max_examples=12,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
        # an explicit world first, then draws without shrinking: each step is calls over the API
        phases=[Phase.explicit, Phase.generate],
    )
    @given(world=worlds())
    @example(world=EVERY_REASON)
    def probe(world):
        rewards, members, tries = world
        tenant = local_api.new_tenant()
        tiers(tenant)
        for i, spec in enumerate(rewards):
            fields = {k: v for k, v in spec.items() if k not in ("dates", "codes") and v is not None}
            codes = spec["codes"] if spec["fulfillment"] == "coupon" else 0
            reward(tenant, f"r{i}", codes=codes, **fields, **DATES[spec["dates"]])
        ids = []
        for j, spec in enumerate(members):
            m = funded(tenant, f"m{j}@example.com", spec["points"])
            changes = {"status": "suspended" if spec["suspended"] else "active"}
            ok(
                200,
                tenant.admin.patch(f"/members/{m}", {**changes, **({"tierOverride": "gold"} if spec["gold"] else {})}),
            )
            ids.append(m)
        for j, i in tries:
            reasons = assert_list_predicts_redemption(tenant, ids[j], f"r{i}", limit=100)
            seen[reasons[0] if reasons else "eligible"] += 1
        for m in ids:
            whole = listed(tenant, m, limit=100)
            assert set(listed(tenant, m, "&eligible=true")) == {rid for rid, r in whole.items() if r["eligible"]}
        assert_ledger_clean(tenant.tenant_id)

    with fixed_constants():  # the same draws in any process, whatever it imported before
        probe()
    assert set(seen) >= {"eligible", *REFUSAL}, seen  # the draws met every rule (derandomized: the same each run)
