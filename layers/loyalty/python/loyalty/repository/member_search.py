"""Members' search entries: the prefix search of `GET /members?q=` (issue 23 item 1, contract §10).

One entry per (member, searched field) whose value has a search form of two characters or more: the item
`T#<t>#M#<memberId>` / `SEARCH#<field>` in the member's own partition, with its PROGRAM_WIDE index entry
`T#<t>#SEARCH#<TAG>#<first two characters>` / `<form>\\x01<memberId>`. A `q` names one partition per field
(its first two characters), and `begins_with(<form of q>)` is a key condition: a page is at most one Query
per field (six), merged, then one BatchGetItem of the members shown. Never a Scan.

The search form is the value composed (NFC) and case-folded (`str.casefold`, so the search is case-insensitive for every
field, externalId and cardId included, although they are unique exactly) and cut to KEPT characters (an
index sort key holds at most 1,024 bytes; a q of 64 characters case-folds to at most 192). The separator
\\x01 sorts below every character a value may hold (text never holds control characters), so the index
orders entries by form, then memberId: the order the contract gives the answer.

A member shows once, under the first field of SEARCHED whose form starts with q. To decide that from the
index alone, each entry carries the forms of all the member's entries (`forms`); all of a member's entries
are rewritten when any searched value changes, in the transaction that changes it (create, PATCH,
erasure deletes them). Why separate items, not attributes of the member item: a member has up to six
values and an item is in an index at most once, and the member item changes with every balance move
(repository.members): entries written only when a searched value changes keep balance moves index-free.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from loyalty.repository import keys, members, store
from loyalty.repository.table import INDEXES, PROGRAM_WIDE

# The searched fields in the contract's order: a member matching several shows under the first.
SEARCHED = ("email", "lastName", "firstName", "externalId", "phone", "cardId")
TAGS = {
    "email": "EMAIL",
    "lastName": "LAST",
    "firstName": "FIRST",
    "externalId": "EXT",
    "phone": "PHONE",
    "cardId": "CARD",
}
PREFIX = "SEARCH#"
SEPARATOR = "\x01"
KEPT = 200  # characters of a form kept: 200 x 4 UTF-8 bytes + the memberId stay below the 1,024-byte key limit
SHORTEST = 2  # a q has two characters at least: a shorter form never matches and gets no entry
SORT = INDEXES[PROGRAM_WIDE][1]


def form(value: str) -> str:
    """A value as the search compares it: composed (NFC: "é" typed as e + combining accent is "é"), case-folded,
    cut to KEPT characters."""
    import unicodedata

    return unicodedata.normalize("NFC", value).casefold()[:KEPT]


def forms(member: Mapping[str, Any]) -> dict[str, str]:
    """The search forms of a member's searched values (none for an erased member: its values are null)."""
    out = {}
    for field in SEARCHED:
        value = member.get(field)
        if isinstance(value, str) and len(form(value)) >= SHORTEST:
            out[field] = form(value)
    return out


def first_match(found: Mapping[str, str], wanted: str) -> str | None:
    """The field a member with these forms shows under for a q of form `wanted` (None: no match)."""
    return next((field for field in SEARCHED if found.get(field, "").startswith(wanted)), None)


def entry_key(tenant_id: str, member_id: str, field: str) -> store.Key:
    return store.key(members.partition(tenant_id, member_id), f"{PREFIX}{field}")


def partition(tenant_id: str, field: str, value_form: str) -> str:
    """The index partition of a field's forms that start with the first two characters of `value_form`."""
    return f"{keys.tenant(tenant_id)}#SEARCH#{TAGS[field]}#{value_form[:SHORTEST]}"


def position(value_form: str, member_id: str) -> str:
    """An entry's place in its index partition (and a page's end): form, then memberId."""
    return f"{value_form}{SEPARATOR}{member_id}"


def entry(tenant_id: str, member_id: str, field: str, found: Mapping[str, str]) -> dict[str, Any]:
    """The stored entry of one field of a member with these forms."""
    return {
        **entry_key(tenant_id, member_id, field),
        "memberId": member_id,
        "field": field,
        "value": found[field],
        "forms": dict(found),
        **store.index_entry(PROGRAM_WIDE, partition(tenant_id, field, found[field]), position(found[field], member_id)),
    }


def entries(tenant_id: str, member_id: str, found: Mapping[str, str]) -> list[dict[str, Any]]:
    """Every entry a member with these forms has (what the checker expects to be stored)."""
    return [entry(tenant_id, member_id, field, found) for field in SEARCHED if field in found]


def rewrite(
    tenant_id: str, member_id: str, before: Mapping[str, str] | None, after: Mapping[str, str]
) -> list[store.TxItem]:
    """The writes that take a member's entries from forms `before` (None: a new member, no entry yet) to
    `after`: nothing when they are equal, else every entry put (each carries all the forms) and every
    other field's entry deleted (a delete of an absent item is no error, so an entry missing or left over
    is made right as well)."""
    if before is not None and dict(before) == dict(after):
        return []
    writes = [store.put(item) for item in entries(tenant_id, member_id, after)]
    if before is not None:
        writes += [store.delete(entry_key(tenant_id, member_id, f)) for f in SEARCHED if f not in after]
    return writes


def repair(tenant_id: str, member_id: str, have: list[dict[str, Any]], found: Mapping[str, str]) -> list[store.TxItem]:
    """The writes that make a member's stored entries `have` those of its forms `found` (none when they are)."""
    expected = entries(tenant_id, member_id, found)
    by_field = {item["field"]: item for item in have}
    if {item["field"]: item for item in expected} == by_field:
        return []
    return [store.put(item) for item in expected] + [
        store.delete(entry_key(tenant_id, member_id, field)) for field in by_field if field not in found
    ]


def stored(tenant_id: str, member_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The entries stored for each member (operator tools and the checker), read by key."""
    wanted = [entry_key(tenant_id, member_id, field) for member_id in member_ids for field in SEARCHED]
    out: dict[str, list[dict[str, Any]]] = {member_id: [] for member_id in member_ids}
    for item in store.get_many(wanted) if wanted else []:
        if item is not None:
            out[item["memberId"]].append(item)
    return out


def search(tenant_id: str, q: str, limit: int, after: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """The entries of a page of `q` (at most `limit`, one per member, in order) and the position the next
    page starts after (None: the last page).

    One Query per field of the partition q names, each from `after` (an ExclusiveStartKey built from the
    position: any key in the partition will do) and at most `limit` entries long. A field that has more
    than it read ends what is known: the page walks the merged entries only up to the first such end (the
    "frontier"), so no entry of any field is skipped. A page may hold fewer than `limit` members (entries
    under another field of their member are passed over) and still have a next page; every page moves on.
    """
    wanted = form(q)
    read: list[tuple[str, int, dict[str, Any]]] = []
    frontier: str | None = None
    for rank, field in enumerate(SEARCHED):
        index_partition = partition(tenant_id, field, wanted)
        start = None
        if after is not None:
            member_id = after.rsplit(SEPARATOR, 1)[1]
            start = {
                **entry_key(tenant_id, member_id, field),
                **store.index_entry(PROGRAM_WIDE, index_partition, after),
            }
        found, last = store.Collection(index_partition, PROGRAM_WIDE).query(
            sort="begins_with(#s, :q)", values={":q": wanted}, limit=limit, start=start
        )
        read += [(item[SORT], rank, item) for item in found]
        if last is not None and (frontier is None or last[SORT] < frontier):
            frontier = last[SORT]
    read.sort(key=lambda found: found[:2])
    walked = [item for place, _, item in read if frontier is None or place <= frontier]
    chosen: list[dict[str, Any]] = []
    for i, item in enumerate(walked):
        if first_match(item.get("forms") or {}, wanted) != item["field"]:
            continue  # the member shows under an earlier field
        chosen.append(item)
        if len(chosen) == limit:
            more = frontier is not None or i + 1 < len(walked)
            return chosen, (item[SORT] if more else None)
    return chosen, frontier
