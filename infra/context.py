"""Settings a deployer passes with `cdk deploy -c name=value`, read and checked one way."""

from __future__ import annotations

from constructs import Construct
from loyalty.numerals import is_digits


def whole_number(scope: Construct, name: str, default: int, low: int, high: int) -> int:
    """`-c name=N`: a whole number from `low` to `high`, `default` when not given; anything else stops the synth."""
    value = scope.node.try_get_context(name)
    if value in (None, ""):
        return default
    if not is_digits(str(value)) or not low <= int(value) <= high:
        raise ValueError(f"-c {name}= takes a whole number from {low} to {high}, not {value!r}")
    return int(value)


def reservation(scope: Construct, name: str, low: int = 1) -> int | None:
    """`-c name=N`: a reserved concurrency of at least `low`; None (no reservation) when not given or 0 / false."""
    value = scope.node.try_get_context(name)
    if value in (None, "", "0", 0, False, "false"):
        return None
    if not is_digits(str(value)) or int(value) < low:
        raise ValueError(f"-c {name}= takes a whole number ≥ {low}, not {value!r}")
    return int(value)
