"""Rewards' period limits: the window a redemption counts in is the activity caps' window (services.awards.window)
of the server's clock, its counter is named by it and kept until a day after it, and a cancel gives a use back
only to a window that still lasts."""

from datetime import UTC, datetime, time, timedelta

import pytest
from loyalty.models.rewards import RedemptionCancel, RedemptionCreate
from loyalty.repository import members as members_db
from loyalty.repository import redemptions as redemptions_db
from loyalty.repository import store
from loyalty.repository.table import TTL_ATTRIBUTE
from loyalty.services import checker, redemptions
from loyalty.services.awards import window

from tests.support.boundaries import CROSSING_IDS, CROSSINGS, INTERVALS
from tests.support.money import TENANT, reward, rich_member


def limited(interval: str, maximum: int | None = 1) -> dict:
    return {"rewardId": "mug", "maxPerMember": maximum, "maxPerMemberInterval": interval}


@pytest.mark.parametrize(("last_day", "turned"), CROSSINGS, ids=CROSSING_IDS)
def test_a_reward_limit_window_turns_where_an_activity_caps_window_does(last_day, turned):
    last = datetime.combine(last_day, time(23, 59, 59), UTC)
    after = last + timedelta(seconds=1)
    for interval in INTERVALS:
        named = redemptions.limit_window(limited(interval), last)
        assert named == (None if interval == "lifetime" else window(interval, last)[0])
        moved = redemptions.limit_window(limited(interval), after) != named
        assert moved is (interval in turned), (interval, last)


def test_the_counter_checked_is_the_windows_the_lifetime_one_or_none():
    now = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    key = redemptions.limit_key
    assert key("t", "m", limited("day"), now)["sk"] == "RWDCOUNT#mug#2026-05-01"
    assert key("t", "m", limited("week"), now)["sk"] == "RWDCOUNT#mug#2026-W18"
    assert key("t", "m", limited("month"), now)["sk"] == "RWDCOUNT#mug#2026-05"
    assert key("t", "m", limited("year"), now)["sk"] == "RWDCOUNT#mug#2026"
    assert key("t", "m", limited("lifetime"), now)["sk"] == "RWDCOUNT#mug"
    assert key("t", "m", {"rewardId": "mug", "maxPerMember": 1}, now)["sk"] == "RWDCOUNT#mug"  # stored before intervals
    assert key("t", "m", limited("day", None), now) is None
    assert redemptions.limit_window(limited("day", None), now) is None


def counters(member):
    items, _ = store.query(("pk", members_db.partition(TENANT, member)))
    return {item["sk"]: item for item in items if item["sk"].startswith("RWDCOUNT#")}


def test_a_daily_limit_counts_by_the_clock_at_commit_and_a_cancel_gives_back_only_while_the_day_lasts(
    fresh_table, prog
):
    reward(prog, "mug", 10, fulfillment="manual", maxPerMember=1, maxPerMemberInterval="day")
    member = rich_member(prog, 100)
    prog.clock.current = datetime(2026, 1, 7, 23, 59, 59, tzinfo=UTC)
    first = redemptions.redeem(prog.caller, member, RedemptionCreate.model_validate({"rewardId": "mug"}))
    day = counters(member)["RWDCOUNT#mug#2026-01-07"]
    assert day["count"] == 1 and day[TTL_ATTRIBUTE] == int(datetime(2026, 1, 9, tzinfo=UTC).timestamp())
    assert counters(member)["RWDCOUNT#mug"]["count"] == 1
    prog.clock.advance(seconds=1)
    redemptions.redeem(prog.caller, member, RedemptionCreate.model_validate({"rewardId": "mug"}))
    body = RedemptionCancel.model_validate({"reason": "late"})
    redemptions.cancel(prog.caller, first["redemptionId"], body)
    found = counters(member)
    assert (found["RWDCOUNT#mug#2026-01-07"]["count"], found["RWDCOUNT#mug#2026-01-08"]["count"]) == (1, 1)
    assert found["RWDCOUNT#mug"]["count"] == 1  # the live ones, whatever their window
    assert checker.check_tenant(TENANT) == []
    store.transact(
        [store.update(redemptions_db.window_count_key(TENANT, member, "mug", "2026-01-08"), add={"count": 1})]
    )
    store.transact(
        [store.update(redemptions_db.window_count_key(TENANT, member, "mug", "2026-01-07"), add={"count": 5})]
    )
    problems = checker.check_tenant(TENANT)  # the current day's counter is checked; the day that ended is not
    assert [(p["field"], p["stored"], p["expected"]) for p in problems] == [("redemptions of mug in 2026-01-08", 2, 1)]
