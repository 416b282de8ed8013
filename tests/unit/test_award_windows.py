"""Award cap windows: one name from a day's first second to its last, a new name one second later exactly
where a UTC calendar window turns, and a counter kept (its TTL) until after the window it counts has ended."""

from datetime import UTC, datetime, time, timedelta

import pytest
from loyalty.services.awards import window

from tests.support.boundaries import CROSSING_IDS, CROSSINGS, INTERVALS


@pytest.mark.parametrize(("last_day", "turned"), CROSSINGS, ids=CROSSING_IDS)
def test_windows_turn_at_utc_calendar_edges_and_outlive_them(last_day, turned):
    first = datetime.combine(last_day, time(0, 0), UTC)
    last = datetime.combine(last_day, time(23, 59, 59), UTC)
    after = last + timedelta(seconds=1)

    def name(interval: str, moment: datetime) -> str:
        return window(interval, moment)[0]

    edges = {i: (name(i, first) == name(i, last), name(i, last) != name(i, after)) for i in INTERVALS}
    assert edges == {interval: (True, interval in turned) for interval in INTERVALS}
    for interval in turned:  # the window ends at `after`: its counter must outlive it, the same for all its moments
        forget_first, forget_last = window(interval, first)[1], window(interval, last)[1]
        assert forget_first == forget_last and forget_last is not None and forget_last > after.timestamp()
    assert window("lifetime", last) == ("lifetime", None)
