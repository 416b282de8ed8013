"""Orders: the order item and its entry in the member's order list (by orderedAt)."""

from __future__ import annotations

from typing import Any

from loyalty.repository import keys, members, store
from loyalty.repository.table import PER_PARENT


def key(tenant_id: str, order_id: str) -> store.Key:
    return store.key(f"{keys.tenant(tenant_id)}#ORDER#{order_id}", "ORDER")


def _of_member(tenant_id: str, member_id: str) -> str:
    return f"{members.partition(tenant_id, member_id)}#ORDER"


def item(tenant_id: str, order: dict[str, Any]) -> dict[str, Any]:
    """The stored order, listed under its member by `<orderedAt>#<orderId>`."""
    out = {**key(tenant_id, order["orderId"]), **store.plain(order)}
    sort = f"{order['orderedAt']}#{order['orderId']}"
    out.update(store.index_entry(PER_PARENT, _of_member(tenant_id, order["memberId"]), sort))
    return out


def of_member(tenant_id: str, member_id: str) -> store.Collection:
    return store.Collection(_of_member(tenant_id, member_id), PER_PARENT)
