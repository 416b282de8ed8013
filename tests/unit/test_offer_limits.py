"""Offer limits on the table: caps add up to the limit, a claim on a full shard fails as a whole, and
claiming until refused gives exactly the limit, per member and in total."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from loyalty.errors import Conflict
from loyalty.repository import activations as activations_db
from loyalty.repository import offer_usage as usage_db
from loyalty.repository import offers as repo
from loyalty.repository import store
from loyalty.repository.table import TTL_ATTRIBUTE
from loyalty.services import offer_limits

TENANT = "lim"


def offer(offer_id: str = "O1", total: int | None = None, per_member: int | None = None) -> dict:
    return {
        "offerId": offer_id,
        "offerCode": f"CODE-{offer_id}",
        "status": "published",
        "endDate": None,
        "maxRedemptionsTotal": total,
        "maxRedemptionsPerMember": per_member,
        "version": 0,
    }


USES = st.lists(st.integers(0, 50), min_size=8, max_size=8)


@given(uses=USES, room=st.integers(0, 10**6))
def test_caps_add_up_to_the_limit_and_never_fall_below_uses(uses, room):
    total = sum(uses) + room  # every drawn case is a limit at or above the uses
    caps = usage_db.caps(total, uses)
    assert sum(caps) == total
    assert all(cap >= used for cap, used in zip(caps, uses, strict=True))
    assert (
        max(c - u for c, u in zip(caps, uses, strict=True)) - min(c - u for c, u in zip(caps, uses, strict=True)) <= 1
    )


@given(uses=USES.filter(any), short=st.integers(1, 400))
def test_a_limit_below_the_uses_caps_every_shard_at_its_uses(uses, short):
    """A limit lowered under the uses made (issue 21 B6) leaves no room anywhere."""
    assert usage_db.caps(max(0, sum(uses) - short), uses) == uses


def test_caps_of_no_limit_are_none():
    assert usage_db.caps(None, [3] * 8) == [None] * 8


def claim_until_refused(item: dict, member_id: str | None) -> int:
    taken = 0
    while True:
        current, shards = repo.read_offer(TENANT, item["offerId"])
        state = store.get(activations_db.key(TENANT, member_id, item["offerId"])) if member_id else None
        try:
            store.transact(offer_limits.claim(TENANT, current, shards, member_id, state))
        except Conflict as refused:
            assert refused.code == "offer_limit_reached"
            return taken
        taken += 1


@pytest.mark.usefixtures("fresh_table")
@pytest.mark.parametrize("total", [1, 3, 8, 10, 17])
def test_claiming_until_refused_takes_exactly_the_total(total):
    item = offer(total=total)
    store.transact(repo.create_items(TENANT, item))
    assert claim_until_refused(item, None) == total
    _, shards = repo.read_offer(TENANT, "O1")
    assert usage_db.used(shards) == total
    assert all(shard["uses"] <= shard["cap"] for shard in shards)


@pytest.mark.usefixtures("fresh_table")
def test_per_member_limit_and_a_stale_read_fails_the_whole_claim():
    item = offer(total=100, per_member=2)
    store.transact(repo.create_items(TENANT, item))
    assert claim_until_refused(item, "m1") == 2
    assert claim_until_refused(item, "m2") == 2
    current, shards = repo.read_offer(TENANT, "O1")
    stale = offer_limits.claim(TENANT, current, shards, "m1", None)  # m1 is at its limit: the condition fails
    with pytest.raises(store.ConditionFailed):
        store.transact(stale)
    _, after = repo.read_offer(TENANT, "O1")
    assert usage_db.used(after) == 4  # nothing of the failed claim stayed


@pytest.mark.usefixtures("fresh_table")
def test_a_full_shard_refuses_a_claim_read_before_it_filled():
    item = offer(total=1)
    store.transact(repo.create_items(TENANT, item))
    current, shards = repo.read_offer(TENANT, "O1")
    first, second = (offer_limits.claim(TENANT, current, shards, None, None) for _ in range(2))
    store.transact(first)
    with pytest.raises(store.ConditionFailed):
        store.transact(second)  # both picked the only shard with room; the second finds it full


# --- issue 23: period limits' windows and reversals' give-back --------------------------------------


@pytest.mark.parametrize(
    ("interval", "at", "window"),
    [
        ("day", "2026-03-10T23:59:59", "2026-03-10"),
        ("day", "2026-03-11T00:00:00", "2026-03-11"),
        ("week", "2026-03-15T23:59:59", "2026-W11"),  # ISO weeks from Monday: Sunday still W11
        ("week", "2026-03-16T00:00:00", "2026-W12"),
        ("week", "2027-01-01T12:00:00", "2026-W53"),  # the ISO year, not the calendar year
        ("month", "2026-02-28T23:59:59", "2026-02"),
        ("year", "2026-12-31T23:59:59", "2026"),
        ("year", "2027-01-01T00:00:00", "2027"),
    ],
)
def test_period_windows_are_the_activity_caps_utc_windows(interval, at, window):
    from datetime import UTC, datetime

    now = datetime.fromisoformat(at).replace(tzinfo=UTC)
    limited = {**offer(per_member=1), "maxRedemptionsPerMemberInterval": interval}
    name, forget_at = offer_limits.window(limited, now)
    assert name == window and forget_at is not None and forget_at > now.timestamp() + 86400 - 1
    assert store.sort_key(offer_limits.counter_key(TENANT, "m1", limited, now)) == f"OFFERUSE#O1#{window}"
    assert offer_limits.window_name(limited, "m1", now) == {"limitWindow": window}
    assert offer_limits.window_name(limited, None, now) == {}  # no member: no member window
    for unwindowed in (offer(per_member=1), {**offer(), "maxRedemptionsPerMemberInterval": interval}):
        assert offer_limits.window(unwindowed, now) is None  # lifetime, or no per-member limit
        assert offer_limits.counter_key(TENANT, "m1", unwindowed, now) is None


@pytest.mark.usefixtures("fresh_table")
def test_give_back_lowers_a_cap_only_while_the_caps_are_above_the_limit():
    current = offer(total=4)
    store.transact(repo.create_items(TENANT, current))
    for _ in range(4):
        _, shards = repo.read_offer(TENANT, "O1")
        store.transact([repo.take_use(TENANT, current, shards)])
    _, shards = repo.read_offer(TENANT, "O1")
    lowered = {**current, "maxRedemptionsTotal": 2, "version": 1, "rulesVersion": 1}
    store.transact(usage_db.cap_items(repo.usage(TENANT, lowered), shards, 2, 1))
    for expected_caps in (3, 2, 2):  # caps follow the uses down to the limit, then stay
        _, shards = repo.read_offer(TENANT, "O1")
        store.transact([repo.give_back_use(TENANT, lowered, shards)])
        _, shards = repo.read_offer(TENANT, "O1")
        assert usage_db.caps_total(shards) == expected_caps
        assert not usage_db.over_cap(shards)
    assert usage_db.used(shards) == 1 and len(usage_db.with_room(shards)) >= 1


def claim_in_window(item: dict, member_id: str, now) -> list:
    """One period-limited claim as offer redemptions make it: the state and the window's counter read by key."""
    current, shards = repo.read_offer(TENANT, item["offerId"])
    state = store.get(activations_db.key(TENANT, member_id, item["offerId"]))
    counter_key = offer_limits.counter_key(TENANT, member_id, current, now)
    counter = store.get(counter_key) if counter_key else None
    return offer_limits.claim(TENANT, current, shards, member_id, state, counter, now)


@pytest.mark.usefixtures("fresh_table")
def test_a_period_limit_is_decided_on_the_windows_counter_and_lifetime_uses_do_not_count():
    from datetime import UTC, datetime

    item = {**offer(per_member=2), "maxRedemptionsPerMemberInterval": "day"}
    store.transact(repo.create_items(TENANT, item))
    days = [datetime(2026, 3, d, 12, tzinfo=UTC) for d in (10, 11)]
    for day in days:  # two a day on two days: four lifetime uses, which a day's limit of 2 never counts
        for _ in range(2):
            store.transact(claim_in_window(item, "m1", day))
        with pytest.raises(Conflict) as refused:  # refused on the read (the counter), before any write
            claim_in_window(item, "m1", day)
        assert refused.value.code == "offer_limit_reached"
        assert "2 times this day" in refused.value.message and "(the limit is 2)" in refused.value.message
    state = store.get(activations_db.key(TENANT, "m1", "O1"))
    assert offer_limits.member_uses(state) == 4
    counter_key = offer_limits.counter_key(TENANT, "m1", item, days[1])
    assert store.partition_of(counter_key).startswith(f"T#{TENANT}#")  # the tenant's own key
    counter = store.get(counter_key)
    assert counter is not None and counter["count"] == 2
    assert counter[TTL_ATTRIBUTE] == offer_limits.window(item, days[1])[1]  # forgotten after its window
    _, shards = repo.read_offer(TENANT, "O1")
    assert offer_limits.left(item, shards, state, counter) == 0
    assert offer_limits.left(item, shards, state, {**counter, "count": 1}) == 1
    assert offer_limits.left(item, shards, state, None) == 2  # a new window: the lifetime uses don't count
    offer_limits.check(item, shards, state, None)  # nor in the check
    with pytest.raises(AssertionError):  # a period limit can't be claimed without the time it counts at
        offer_limits.claim(TENANT, item, shards, "m1", state, None)
    anonymous = offer_limits.claim(TENANT, item, shards, None, state, counter, days[1])
    assert len(anonymous) == 1  # no member: the offer's own use only, whatever the member's counter says


@pytest.mark.usefixtures("fresh_table")
def test_a_claim_without_a_member_is_not_limited_by_a_members_state():
    item = offer(total=10, per_member=1)
    store.transact(repo.create_items(TENANT, item))
    store.transact(claim_in_window(item, "m1", None))
    current, shards = repo.read_offer(TENANT, "O1")
    state = store.get(activations_db.key(TENANT, "m1", "O1"))
    with pytest.raises(Conflict):  # m1 has used its one
        offer_limits.claim(TENANT, current, shards, "m1", state)
    assert len(offer_limits.claim(TENANT, current, shards, None, state)) == 1  # no member: only the offer's use
