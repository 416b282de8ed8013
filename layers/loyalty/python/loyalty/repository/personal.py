"""Where a member's personal data was copied: one reference item per copy, in the member's own partition.

`T#<t>#M#<memberId>` / `COPY#VOUCHER#<voucherId>` for a voucher carrying the member's name, and
`COPY#REPLAY#<record hash>` (with the record's TTL) for a kept answer (an Idempotency-Key's replay)
holding the member's personal data. Each is written in the transaction that makes the copy; erasing
the member reads them (one Query of the member's partition, strongly consistent), erases each copy
and deletes its reference.
"""

from __future__ import annotations

from typing import Any

from loyalty.repository import members, store
from loyalty.repository.table import TTL_ATTRIBUTE

COPY, VOUCHER, REPLAY = "COPY", "VOUCHER", "REPLAY"
NAME_FIELD = "customerName"


def _reference(tenant_id: str, member_id: str, kind: str, target: store.Key) -> dict[str, Any]:
    return {
        **store.key(members.partition(tenant_id, member_id), f"{COPY}#{kind}#{store.partition_of(target)}"),
        "kind": kind,
        "target": target,
    }


def voucher_copy(tenant_id: str, member_id: str, voucher_key: store.Key[Any]) -> store.TxItem:
    """The member's name is on this voucher (`customerName`)."""
    return store.put(_reference(tenant_id, member_id, VOUCHER, voucher_key))


def replay_copy(tenant_id: str, member_id: str, record_key: store.Key, expires_at_epoch: int) -> store.TxItem:
    """This kept answer holds the member's personal data; the reference lapses with the record."""
    return store.put({**_reference(tenant_id, member_id, REPLAY, record_key), TTL_ATTRIBUTE: expires_at_epoch})


def copies(tenant_id: str, member_id: str) -> list[dict[str, Any]]:
    """Every reference to a copy of the member's personal data (strongly consistent: a table Query)."""
    return store.Collection(members.partition(tenant_id, member_id)).all(
        sort="begins_with(#s, :copy)", values={":copy": f"{COPY}#"}
    )


def forget(reference: dict[str, Any]) -> store.TxItem:
    """Delete a reference (its copy is erased, or gone)."""
    return store.delete(store.key_of(reference))


def erase_name(reference: dict[str, Any]) -> store.TxItem:
    """Blank the name on the voucher a reference points at (on condition the voucher exists)."""
    return store.update(reference["target"], set_values={NAME_FIELD: None}, condition=store.PRESENT)


def replace_body(reference: dict[str, Any], old: str, new: str) -> store.TxItem:
    """Replace a kept answer's body, on condition it is still the one read (not a later record under the key)."""
    return store.update(
        reference["target"], set_values={"body": new}, condition="#b = :old", names={"#b": "body"}, values={":old": old}
    )
