"""Settings a deployer passes with `cdk deploy -c name=value`, read and checked one way."""

from __future__ import annotations

from constructs import Construct


def whole_number(scope: Construct, name: str, default: int, low: int, high: int) -> int:
    """`-c name=N`: a whole number from `low` to `high`, `default` when not given; anything else stops the synth."""
    value = scope.node.try_get_context(name)
    if value in (None, ""):
        return default
    if not str(value).isdigit() or not low <= int(value) <= high:
        raise ValueError(f"-c {name}= takes a whole number from {low} to {high}, not {value!r}")
    return int(value)
