"""`cdk deploy -c name=value` settings: what each reader takes and what stops the synth."""

from __future__ import annotations

import pytest
from aws_cdk import App
from constructs import Construct

from infra.context import reservation, whole_number


def scope(**context: object) -> Construct:
    return Construct(App(context=context), "Scope")


def test_a_whole_number_in_its_range_its_default_when_absent_and_anything_else_stops_the_synth():
    assert whole_number(scope(), "n", 5, 1, 10) == 5
    assert whole_number(scope(n=""), "n", 5, 1, 10) == 5
    assert whole_number(scope(n="7"), "n", 5, 1, 10) == 7
    assert whole_number(scope(n=10), "n", 5, 1, 10) == 10
    for bad in ("0", "11", "-1", "2.5", "ten", "٣", True):
        with pytest.raises(ValueError, match="-c n= takes a whole number from 1 to 10"):
            whole_number(scope(n=bad), "n", 5, 1, 10)


def test_a_reservation_is_off_unless_given_and_at_least_its_floor_when_given():
    for off in (None, "", "0", 0, False, "false"):
        assert reservation(scope(r=off) if off is not None else scope(), "r", 3) is None
    assert reservation(scope(r="3"), "r", 3) == 3
    assert reservation(scope(r=40), "r", 3) == 40
    for bad in ("2", "-5", "1.5", "lots", "٣", True):
        with pytest.raises(ValueError, match="-c r= takes a whole number ≥ 3"):
            reservation(scope(r=bad), "r", 3)
