"""Award guards and counters: earn-once per (activity, orderId), and a member's awards per capped window."""

from __future__ import annotations

from typing import TYPE_CHECKING

from loyalty.repository import keys, members, store
from loyalty.repository.table import TTL_ATTRIBUTE

if TYPE_CHECKING:
    from loyalty.repository.records import TransactionRecord


def awarded_guard(tenant_id: str, activity_id: str, order_id: str) -> store.Key:
    """Marks that an orderId has earned through an activity (permanently)."""
    return store.key(f"{keys.tenant(tenant_id)}#AWARDED#{activity_id}#{order_id}", "GUARD")


def put_awarded(tenant_id: str, activity_id: str, order_id: str, entry: TransactionRecord) -> store.TxItem:
    """Take the earn-once guard, pointing at the entry that earned."""
    reference = {"transactionId": entry["transactionId"], "memberId": entry["memberId"]}
    return store.put_new({**awarded_guard(tenant_id, activity_id, order_id), **reference})


def counter_key(tenant_id: str, member_id: str, activity_id: str, window: str) -> store.Key:
    """The member's count of awards of an activity in one window (a day, a week …, or lifetime)."""
    return store.key(members.partition(tenant_id, member_id), f"FREQ#{activity_id}#{window}")


def count_one(counter: store.Key, maximum: int, forget_at: int | None) -> store.TxItem:
    """Count one award, on condition the window's count is still below `maximum`; forgotten at `forget_at`."""
    return store.update(
        counter,
        add={"count": 1},
        set_values={TTL_ATTRIBUTE: forget_at} if forget_at else None,
        condition="attribute_not_exists(#c) OR #c < :max",
        names={"#c": "count"},
        values={":max": maximum},
    )
