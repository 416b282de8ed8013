"""Injectable UTC clock and the contract's time formats (ISO-8601, second precision, Z suffix)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    """The current time, truncated to the second, in UTC."""
    return _now().replace(microsecond=0)


def precise_now() -> datetime:
    """The current time with its milliseconds (for time-sortable ids)."""
    return _now()


def use(source: Callable[[], datetime]) -> None:
    """Replace the time source (tests and the operator CLI's --now)."""
    global _now
    _now = source


def reset() -> None:
    """Go back to the system clock."""
    use(lambda: datetime.now(UTC))


class FrozenClock:
    """A settable clock for tests and simulations."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


def iso(moment: datetime) -> str:
    """Format as 2019-05-05T11:20:49Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    """Parse an ISO-8601 time (offset or Z); naive times are taken as UTC."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def day(moment: datetime) -> str:
    """The UTC date of a moment as YYYY-MM-DD."""
    return moment.astimezone(UTC).date().isoformat()


def parse_day(text: str) -> date:
    return date.fromisoformat(text)
