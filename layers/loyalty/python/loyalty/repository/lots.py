"""Point lots: one item per member and expiry date in the member's partition, with a due-date entry.

A lot that expires is also in the LOOKUP index under `T#<t>#DUE#EXPIRE#S<k>` (one of the tenant's
"due" shards by a hash of the member), sorted by `<expiresOn>#<memberId>`; the expiry job
walks those partitions up to today and settling a lot deletes it (and so its due entry). LOOKUP
does not project `cumEnd`, so growing a lot does not rewrite its due entry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from loyalty.repository import keys, list_shards, members, sharded, store
from loyalty.repository.table import LOOKUP

if TYPE_CHECKING:
    from loyalty.repository.records import LotRecord, MemberRecord

PREFIX = f"{members.MEMBER}#LOT#"


def key(tenant_id: str, member_id: str, expires_on: str) -> store.Key[LotRecord]:
    return store.key(members.partition(tenant_id, member_id), f"{PREFIX}{expires_on}")


def _due(tenant_id: str) -> sharded.ShardedCollection:
    return list_shards.collection(
        tenant_id, "due", f"{keys.tenant(tenant_id)}#DUE#EXPIRE", LOOKUP, lambda sort: _lot_at(tenant_id, sort)
    )


def _lot_at(tenant_id: str, sort: str) -> store.Key[LotRecord]:
    """The lot a due entry `<expiresOn>#<memberId>` names (a page's cursor resumes after it)."""
    expires_on, member_id = sort.split("#", 1)
    return key(tenant_id, member_id, expires_on)


def add(tenant_id: str, member_id: str, expires_on: str, cum_start: int, points: int, *, expires: bool) -> store.TxItem:
    """Points joining the member's lot of `expires_on`: one update that extends the lot, or creates it
    covering [cum_start, cum_start + points) when it is not there (new, or removed by a job since the
    member's record named it); due for expiry if `expires` (its due entry keeps the shard it was first
    written to, should the tenant's count have grown since)."""
    due = _due(tenant_id).entry(member_id, f"{expires_on}#{member_id}") if expires else {}
    return store.update(
        key(tenant_id, member_id, expires_on),
        set_values={"memberId": member_id, "expiresOn": expires_on},
        set_if_missing={"cumStart": cum_start, **due},
        grow={"cumEnd": (cum_start, points)},
    )


def delete(tenant_id: str, member_id: str, expires_on: str) -> store.TxItem:
    """Remove a settled lot (and its due entry), on condition that it is still there."""
    return store.delete(key(tenant_id, member_id, expires_on), condition=store.PRESENT)


def not_spent(tenant_id: str, member_id: str, consumed: int) -> list[LotRecord]:
    """The member's lots that end past its `consumed` position (not wholly spent), in expiry order: one Query of
    the member's partition, filtered on `cumEnd`."""
    found = store.Collection[Any](members.partition(tenant_id, member_id)).all(
        sort="begins_with(#s, :lot)",
        filter_expression="#end > :consumed",
        names={"#end": "cumEnd"},
        values={":lot": PREFIX, ":consumed": consumed},
    )
    return cast("list[LotRecord]", found)


def member_with_lots(tenant_id: str, member_id: str) -> tuple[MemberRecord | None, list[LotRecord]]:
    """The member item and its lots (soonest expiry first) in one Query of the member's partition."""
    found = store.Collection(members.partition(tenant_id, member_id)).all(
        sort="begins_with(#s, :m)", values={":m": members.MEMBER}
    )
    member = next((cast("MemberRecord", item) for item in found if members.is_member(item)), None)
    return member, [cast("LotRecord", item) for item in found if store.sort_key(item).startswith(PREFIX)]


def due(
    tenant_id: str, day: str, start: dict[str, Any] | None = None, limit: int = 100
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One page of the lots whose last day is before `day` (YYYY-MM-DD), oldest first, and the next page's start."""
    return _due(tenant_id).query(sort="#s < :b", values={":b": day}, limit=limit, start=start)


def expiring(
    tenant_id: str, first: str, last: str, start: dict[str, Any] | None = None, limit: int = 100
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One page of the lots whose last day is from `first` to `last` (YYYY-MM-DD, both included), soonest first."""
    return _due(tenant_id).query(between=(first, f"{last}#\uffff"), limit=limit, start=start)
