"""The unit tests' shared fixtures: the money program of tests/support/money.py."""

from datetime import UTC, datetime

import pytest

from tests.support.money import Program


@pytest.fixture
def prog():
    """A program on Wednesday 2026-01-07 09:00 UTC with 30-day points and 5 pending days."""
    world = Program(datetime(2026, 1, 7, 9, 0, tzinfo=UTC))
    world.settings(pointsExpiryDays=30, pendingDays=5)
    return world
