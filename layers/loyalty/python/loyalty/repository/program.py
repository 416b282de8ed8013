"""Program settings: one item per tenant (`T#<t>` / PROGRAM)."""

from __future__ import annotations

from typing import Any

from loyalty.repository import keys, store


def key(tenant_id: str) -> store.Key:
    return store.key(keys.tenant(tenant_id), "PROGRAM")


def item(tenant_id: str, settings: dict[str, Any]) -> dict[str, Any]:
    return {**key(tenant_id), **store.plain(settings)}
