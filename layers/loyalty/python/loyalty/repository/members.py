"""Members: the member item, its identifier guards (email, externalId, phone, cardId), and its listing item.

A member's own partition `T#<t>#M#<memberId>` holds the member item (sk MEMBER), its listing item
(sk LISTING), its point lots (repository.lots), its award counters (repository.awards) and its
per-reward redemption counts (repository.redemptions): one Query of the partition reads a member
with its lots.

The member item carries no index attribute: it changes with every balance move, and each index
entry it carried would be rewritten with it (the creation list is one partition for the whole
tenant). The listing item carries the three entries (by creation, email, externalId) and is
written only when the member is created or its email or externalId changes; a list page reads
the listing entries, then the members by key. The creation list is write-sharded by member
(`sharded.ShardedCollection`, the tenant's "members" count), so a busy tenant's enrolments do not
meet in one partition.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from loyalty.repository import keys, list_shards, sharded, store
from loyalty.repository.table import INDEXES, LOOKUP, PER_PARENT, PROGRAM_WIDE

if TYPE_CHECKING:
    from loyalty.repository.records import MemberRecord

MEMBER, LISTING = "MEMBER", "LISTING"


def partition(tenant_id: str, member_id: str) -> str:
    """The member's own partition (member item, lots, counters)."""
    return f"{keys.tenant(tenant_id)}#M#{member_id}"


def key(tenant_id: str, member_id: str) -> store.Key[MemberRecord]:
    return store.key(partition(tenant_id, member_id), MEMBER)


def _exact(value: str) -> str:
    return value


def _caseless(value: str) -> str:
    return value.lower()


# The unique fields (the member's identifiers), each with the tag of its guard and lookup partition and the
# one normaliser both are built from: email is case-insensitive; externalId and cardId are exact like every
# client-chosen id; phone is exact, E.164 being one spelling already (the model refuses any other).
UNIQUE_FIELDS: dict[str, tuple[str, Callable[[str], str]]] = {
    "email": ("EMAIL", _caseless),
    "externalId": ("EXT", _exact),
    "phone": ("PHONE", _exact),
    "cardId": ("CARD", _exact),
}


# The identifiers the listing item carries index entries for (phone and cardId have their guards only).
LISTED = ("email", "externalId")


def unique_form(field: str, value: str) -> str:
    """A unique field's value as its guard and its index see it: equal forms are the same value."""
    return UNIQUE_FIELDS[field][1](value)


def guard(tenant_id: str, field: str, value: str) -> store.Key:
    """Holds a unique field's value (in its normal form) for one member of the program."""
    return store.key(f"{keys.tenant(tenant_id)}#{UNIQUE_FIELDS[field][0]}#{unique_form(field, value)}", "GUARD")


def email_guard(tenant_id: str, email: str) -> store.Key:
    """Holds an email (case-insensitive) for one member of the program."""
    return guard(tenant_id, "email", email)


def external_guard(tenant_id: str, external_id: str) -> store.Key:
    """Holds an externalId (exact) for one member of the program."""
    return guard(tenant_id, "externalId", external_id)


def guard_item(guard: store.Key, member_id: str) -> dict[str, Any]:
    return {**guard, "memberId": member_id}


def holder(tenant_id: str, field: str, value: str) -> str | None:
    """The id of the member holding a unique value, from its guard read strongly consistent (an index
    entry may lag a write on AWS; the guard is written in the same transaction as the member)."""
    found = store.get(guard(tenant_id, field, value))
    return found["memberId"] if found else None


def claim_guard(guard: store.Key, member_id: str) -> store.TxItem:
    """Take a guard for a member, on condition that it is free or the member's already."""
    return store.put(
        guard_item(guard, member_id), condition=f"{store.ABSENT} OR memberId = :m", values={":m": member_id}
    )


def release_guard(guard: store.Key, member_id: str) -> store.TxItem:
    """Free a guard the member holds, on condition that it still does (a guard read as held by another
    member is never released: a phone stored before phones were unique may be another member's)."""
    return store.delete(guard, condition="memberId = :m", values={":m": member_id})


def item(tenant_id: str, member: MemberRecord) -> dict[str, Any]:
    """The stored member: key and attributes (no index entry: see the module's docstring)."""
    return {**key(tenant_id, member["memberId"]), **store.plain(member)}


def listing(tenant_id: str, member: MemberRecord) -> dict[str, Any]:
    """The member's entries in the lists by creation, email and externalId (only those it has)."""
    out = {
        **store.key(partition(tenant_id, member["memberId"]), LISTING),
        "memberId": member["memberId"],
        "createdAt": member["createdAt"],
    }
    out.update(by_creation(tenant_id).entry(member["memberId"], member["memberId"]))
    email, external_id = member.get("email"), member.get("externalId")
    if email:
        out.update(store.index_entry(LOOKUP, by_email(tenant_id, email).partition, MEMBER))
    if external_id:
        out.update(store.index_entry(PER_PARENT, by_external_id(tenant_id, external_id).partition, MEMBER))
    return out


def relisting(tenant_id: str, member: MemberRecord) -> store.TxItem:
    """The listing item after an email or externalId change or an erasure: the lookup entries set or removed,
    the creation entry kept in the shard it was first written to (the tenant's count may have grown since:
    a move would let a walk of the list that already served the member serve it again)."""
    entries = listing(tenant_id, member)
    lookups = [name for index in (LOOKUP, PER_PARENT) for name in INDEXES[index]]
    return store.update(
        store.key(partition(tenant_id, member["memberId"]), LISTING),
        set_values={**store.plain(entries), **{name: entries[name] for name in lookups if name in entries}},
        remove=[name for name in lookups if name not in entries],
        set_if_missing={name: entries[name] for name in INDEXES[PROGRAM_WIDE]},
    )


def unchanged(tenant_id: str, member: MemberRecord) -> store.TxItem:
    """A condition that the member is still as read (same version): for a write that relies on its status."""
    return store.check(key(tenant_id, member["memberId"]), "#v = :v", {"#v": "version"}, {":v": member["version"]})


def by_email(tenant_id: str, email: str) -> store.Collection:
    return store.Collection(store.partition_of(email_guard(tenant_id, email)), LOOKUP)


def by_external_id(tenant_id: str, external_id: str) -> store.Collection:
    return store.Collection(store.partition_of(external_guard(tenant_id, external_id)), PER_PARENT)


def listed(tenant_id: str, entries: list[dict[str, Any]]) -> list[store.Key[MemberRecord]]:
    """The member keys behind listing entries."""
    return [key(tenant_id, entry["memberId"]) for entry in entries]


def by_creation(tenant_id: str) -> sharded.ShardedCollection:
    """Every member's listing entry, by memberId (a ULID: creation order), write-sharded by member (the
    tenant's "members" count) so that a busy tenant's enrolments spread over that many index partitions."""
    return list_shards.collection(
        tenant_id,
        "members",
        f"{keys.tenant(tenant_id)}#MEMBERS",
        PROGRAM_WIDE,
        lambda member_id: store.key(partition(tenant_id, member_id), LISTING),
    )


def is_member(stored: dict[str, Any]) -> bool:
    return store.sort_key(stored) == MEMBER
