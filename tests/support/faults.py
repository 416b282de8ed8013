"""Interception of the loyalty DynamoDB client's calls: fault injection and interleavings in tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError
from loyalty.repository import client as client_module

Call = Callable[[str, dict[str, Any]], Any]


def intercept(monkeypatch: Any, decide: Callable[[str, dict[str, Any], Call], Any]) -> None:
    """Send every call of the loyalty client through `decide(name, params, original)` until the
    monkeypatch is undone (`original` sends the call on as it would have gone)."""
    original = client_module.client._make_api_call
    monkeypatch.setattr(client_module.client, "_make_api_call", lambda name, params: decide(name, params, original))


def failure(code: str, name: str, reasons: list[str] | None = None) -> ClientError:
    """The error DynamoDB answers `name` with: `code`, and a transaction's cancellation reasons."""
    error: dict[str, Any] = {"Error": {"Code": code, "Message": "injected"}}
    if reasons:
        error["CancellationReasons"] = [{"Code": reason} for reason in reasons]
    return ClientError(error, name)  # type: ignore[arg-type]
