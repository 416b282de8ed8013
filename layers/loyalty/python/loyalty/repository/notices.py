"""Expiring-soon notices given (§13): one item per member and lot date, `T#<t>#M#<memberId>#NOTICE` / `<lot date>`.

The daily job (services/expiring_soon.py) writes it in one transaction with the points.expiring_soon event it
gives, on condition that it is absent: a member is told once per lot date, however often the job runs, on
whichever days, with whatever `expiryNoticeDays`. Each member's notices are a partition of their own (nothing
every member writes). It holds the event's id; its TTL is a day after the lot's expiry (it is not read after).
"""

from __future__ import annotations

from typing import Any

from loyalty.repository import members, store
from loyalty.repository.table import TTL_ATTRIBUTE


def key(tenant_id: str, member_id: str, expires_on: str) -> store.Key[dict[str, Any]]:
    return store.key(f"{members.partition(tenant_id, member_id)}#NOTICE", expires_on)


def put_new(tenant_id: str, member_id: str, expires_on: str, event_id: str, expires_epoch: int) -> store.TxItem:
    """The notice, on condition that none was given for this member and lot date."""
    return store.put_new({**key(tenant_id, member_id, expires_on), "eventId": event_id, TTL_ATTRIBUTE: expires_epoch})
