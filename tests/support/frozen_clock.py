"""The stopped clock for tests: services and the local API read `loyalty.clock`, so one fixture body stops both."""

from collections.abc import Iterator
from datetime import datetime

from loyalty import clock


def frozen_at(moment: datetime) -> Iterator[clock.FrozenClock]:
    """The body of a `frozen` fixture: the clock stopped at `moment` for the test (services and the local API)."""
    stopped = clock.FrozenClock(moment)
    clock.use(stopped)
    yield stopped
    clock.reset()
