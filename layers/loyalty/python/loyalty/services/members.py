"""Members: create with unique email and externalId, read with tier, list, update, erase personal data."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from loyalty import clock, ids, jsontext, personal
from loyalty.errors import Conflict, Forbidden
from loyalty.operation import Caller, Operation, run
from loyalty.repository import members as members_db
from loyalty.repository import paging, store
from loyalty.repository import personal as personal_db
from loyalty.repository import referrals as referrals_db
from loyalty.repository import wallet as wallet_db
from loyalty.results import Page
from loyalty.services import program

if TYPE_CHECKING:
    from loyalty.models.members import MemberCreate, MemberListQuery, MemberUpdate
    from loyalty.repository.records import MemberRecord

PROFILE, PERSONAL = personal.PROFILE, personal.MEMBER_FIELDS
BALANCE_FIELDS = ("available", "pending", "redeemed", "expired", "lifetime", "qualified")


def tier_of(settings: dict[str, Any], member: MemberRecord) -> dict[str, str] | None:
    """The override when set, else the highest tier whose threshold ≤ qualified points."""
    tiers = settings.get("tiers") or []
    chosen = [t for t in tiers if t["tierId"] == member.get("tierOverride")]
    if not chosen:  # no override, or one naming a tier the program no longer has: the earned tier
        chosen = [t for t in tiers if t["threshold"] <= member["balance"]["qualified"]][-1:]
    return {"tierId": chosen[0]["tierId"], "name": chosen[0]["name"]} if chosen else None


def public(tenant_id: str, member: MemberRecord) -> dict[str, Any]:
    balance: Mapping[str, Any] = member["balance"]
    out = {
        "memberId": member["memberId"],
        "email": member.get("email"),
        **{name: member.get(name) for name in PROFILE},
        "status": member["status"],
        "tier": tier_of(program.load(tenant_id), member),
        "tierOverride": member.get("tierOverride"),
        "balance": {name: balance[name] for name in BALANCE_FIELDS},
        "referralCode": member["referralCode"],
        "referredBy": member.get("referredBy"),
        "referralCount": member.get("referralCount", 0),
        "createdAt": member["createdAt"],
        "updatedAt": member["updatedAt"],
    }
    if member.get("erasedAt"):
        out["erasedAt"] = member["erasedAt"]
    return out


def create_member(caller: Caller, body: MemberCreate) -> dict[str, Any]:
    tenant_id, given = caller.tenant_id, body.given()

    def attempt(operation: Operation) -> dict[str, Any]:
        wanted = [
            members_db.guard(tenant_id, name, given[name]) for name in members_db.UNIQUE_FIELDS if given.get(name)
        ]
        if any(operation.read(wanted)):
            raise Conflict("member_exists", "A member with this email or externalId exists already.")
        now = clock.iso(clock.now())
        member_id = ids.ulid()
        fields = {
            "memberId": member_id,
            "email": body.email,
            **{name: given.get(name) for name in PROFILE},
            "status": "active",
            "tierOverride": None,
            "balance": dict.fromkeys(BALANCE_FIELDS, 0),
            "referralCode": ids.random_code(10),
            "createdAt": now,
            "updatedAt": now,
            "version": 0,
            # lot cursor of the points ledger: lotTotal - consumed = available
            "lotTotal": 0,
            "consumed": 0,
        }
        member = cast("MemberRecord", fields)  # the profile's fields by name: all of them, null when not given
        items = [
            store.put_new(members_db.item(tenant_id, member)),
            store.put_new(members_db.listing(tenant_id, member)),
        ]
        items += [store.put_new(members_db.guard_item(guard, member_id)) for guard in wanted]
        items.append(referrals_db.claim_code(tenant_id, member["referralCode"], member_id))  # unique per tenant
        return operation.commit(items, public(tenant_id, member))

    return run(caller, attempt)


def load(tenant_id: str, member_id: str) -> MemberRecord:
    return store.get_required(members_db.key(tenant_id, member_id), "member")


def get_member(tenant_id: str, member_id: str) -> dict[str, Any]:
    return public(tenant_id, load(tenant_id, member_id))


def list_members(tenant_id: str, query: MemberListQuery) -> Page[list[dict[str, Any]]]:
    """Newest first, by creation time; by email or externalId, the one member holding that value.

    A page reads the listing entries (a scatter-gather of the creation list's shards) and then those
    members with one BatchGetItem (see repository.members: the member item has no index entry, so
    balance moves write no index). A lookup reads the value's guard strongly consistent and then the
    member by key: an index may lag a write on AWS, so a lookup right after a create or an update
    would miss the member (docs/data-model.md, "Consistency").
    """
    given = query.given()
    page = paging.request(tenant_id, "members", given, bounds=("createdFrom", "createdTo"))
    looked_up = [name for name in members_db.UNIQUE_FIELDS if given.get(name)]
    if looked_up:
        return Page(_holder(tenant_id, given, looked_up) if page.first else [], None)
    items, last = members_db.by_creation(tenant_id).query(
        between=ids.ulid_range(query.createdFrom, query.createdTo),
        newest_first=True,
        limit=page.limit,
        start=page.start,
    )
    found = store.get_many(members_db.listed(tenant_id, items))
    return Page([public(tenant_id, item) for item in found if item], page.next_token(last))


def _holder(tenant_id: str, query: dict[str, Any], fields: list[str]) -> list[dict[str, Any]]:
    """The member holding every unique value asked for (none if they are different members), within
    the creation range: its guards, then the member, all strongly consistent."""
    holders = {members_db.holder(tenant_id, name, query[name]) for name in fields}
    if len(holders) != 1 or None in holders:
        return []
    member = store.get(members_db.key(tenant_id, str(holders.pop())))
    if member is None:
        return []
    created = member["createdAt"]
    if (query.get("createdFrom") and created < query["createdFrom"]) or (
        query.get("createdTo") and created > query["createdTo"]
    ):
        return []
    return [public(tenant_id, member)]


def update_member(caller: Caller, member_id: str, body: MemberUpdate) -> dict[str, Any]:
    tenant_id, changes = caller.tenant_id, body.given()
    if "tierOverride" in changes and not caller.admin:
        raise Forbidden("Only an admin key may set tierOverride.")
    if changes.get("tierOverride"):
        program.check_tier_ids(tenant_id, [changes["tierOverride"]], "tierOverride")

    def attempt(operation: Operation) -> dict[str, Any]:
        member = operation.read_existing(members_db.key(tenant_id, member_id), "member")
        fields: Mapping[str, Any] = member  # read by the unique fields' names
        if member.get("erasedAt"):
            raise Conflict("invalid_state", "The member was erased: it can't be changed.")
        items: list[store.TxItem] = []
        for name in members_db.UNIQUE_FIELDS:
            old, new = fields.get(name), changes.get(name, fields.get(name))
            if (old and members_db.unique_form(name, old)) == (new and members_db.unique_form(name, new)):
                continue  # the same value to its guard (an email changing case only): the guard stays
            if new:
                items.append(members_db.claim_guard(members_db.guard(tenant_id, name, new), member_id))
            if old:
                items.append(store.delete(members_db.guard(tenant_id, name, old)))
        now, version = clock.iso(clock.now()), member["version"] + 1
        updated = cast("MemberRecord", {**member, **changes, "updatedAt": now, "version": version})  # validated fields
        if items:  # the email or externalId changed: so do the member's listing entries
            items.append(members_db.relisting(tenant_id, updated))
        items.insert(0, store.put_versioned(members_db.item(tenant_id, updated), member["version"]))
        try:
            store.transact(items)
        except store.ConditionFailed as failed:
            if failed.failed != [0]:  # a guard: the email or externalId belongs to another member
                raise Conflict("member_exists", "Another member has this email or externalId.") from None
            raise
        return public(tenant_id, updated)

    return run(caller, attempt)


def erase_member(caller: Caller, member_id: str) -> dict[str, Any]:
    """Erase personal data (the email becomes free) and keep the ledger, so totals stay true.

    First the member (terminal: nothing can copy its data any more, services/book.py), then every
    copy of its data made before: the name on its vouchers and the answers kept for its
    Idempotency-Keys (repository.personal). A call cut short is finished by calling again.
    """
    tenant_id = caller.tenant_id

    def attempt(operation: Operation) -> dict[str, Any]:
        member = operation.read_existing(members_db.key(tenant_id, member_id), "member")
        fields: Mapping[str, Any] = member  # read by the unique fields' names
        items = [
            store.delete(members_db.guard(tenant_id, name, fields[name]))
            for name in members_db.UNIQUE_FIELDS
            if fields.get(name)
        ]
        now = clock.iso(clock.now())
        nulled = {
            **store.plain(member),
            **dict.fromkeys(PERSONAL),
            "status": "erased",  # terminal: the member takes no further part (services/book.py)
            "erasedAt": member.get("erasedAt") or now,
            "updatedAt": now,
            "version": member["version"] + 1,
        }
        erased = cast("MemberRecord", nulled)  # the personal fields nulled by name
        items.append(members_db.relisting(tenant_id, erased))
        items.append(referrals_db.release_code(tenant_id, member["referralCode"], member_id))  # its code: 404
        store.transact([store.put_versioned(members_db.item(tenant_id, erased), member["version"]), *items])
        return public(tenant_id, erased)

    answer = run(caller, attempt)
    _erase_copies(tenant_id, member_id)
    _erase_wallet_names(tenant_id, member_id)
    return answer


ERASE_CHUNK = 25  # copies per transaction: two writes each (the copy, its reference)


def _erase_copies(tenant_id: str, member_id: str) -> None:
    """Erase every copy of the member's personal data and its reference, a chunk per transaction; a
    copy gone or changed since (a voucher deleted, a replay lapsed and its key reused) loses only its reference."""
    writes = [_erasure(tenant_id, member_id, ref) for ref in personal_db.copies(tenant_id, member_id)]
    for start in range(0, len(writes), ERASE_CHUNK):
        chunk = writes[start : start + ERASE_CHUNK]
        try:
            store.transact([item for pair in chunk for item in pair])
        except store.ConditionFailed:
            for pair in chunk:  # one by one: a copy that no longer matches loses only its reference
                try:
                    store.transact(pair)
                except store.ConditionFailed:
                    store.transact(pair[1:])


def _erase_wallet_names(tenant_id: str, member_id: str) -> None:
    """Blank the name on each entry of the member's wallet (copies of its vouchers, in the member's own
    partition: no reference item), a chunk per transaction."""
    named = [entry for entry in wallet_db.entries(tenant_id, member_id) if entry.get(wallet_db.NAME_FIELD)]
    for start in range(0, len(named), ERASE_CHUNK):
        store.transact([wallet_db.erase_name(entry) for entry in named[start : start + ERASE_CHUNK]])


def _erasure(tenant_id: str, member_id: str, reference: dict[str, Any]) -> list[store.TxItem]:
    """The writes that erase one copy, then forget its reference (a replay lapsed already: only the latter)."""
    if reference["kind"] == personal_db.VOUCHER:
        return [personal_db.erase_name(reference), personal_db.forget(reference)]
    record = store.get(reference["target"])
    if record is None or "body" not in record:
        return [personal_db.forget(reference)]
    body = jsontext.render(personal.erased(json.loads(record["body"]), member_id))
    return [personal_db.replace_body(reference, record["body"], body), personal_db.forget(reference)]
