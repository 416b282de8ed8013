"""Members: create with unique identifiers (email, externalId, phone, cardId), read with tier, list, look up by
an identifier, search by prefix, update, erase personal data."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from loyalty import clock, ids, jsontext, personal
from loyalty.errors import Conflict, Forbidden, ValidationFailed
from loyalty.operation import Caller, Operation, run
from loyalty.repository import challenges as challenges_db
from loyalty.repository import member_search as search_db
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
        "tags": member.get("tags") or [],
        "createdAt": member["createdAt"],
        "updatedAt": member["updatedAt"],
    }
    if member.get("erasedAt"):
        out["erasedAt"] = member["erasedAt"]
    return out


IDENTIFIED = "give at least one of email, externalId, phone or cardId"


def _identified(member: Mapping[str, Any]) -> None:
    """A member needs one identifier at least (contract §10): else a 400 naming them."""
    if not any(member.get(name) for name in members_db.UNIQUE_FIELDS):
        raise ValidationFailed(details=[{"field": "email", "message": IDENTIFIED}])


def _taken(fields: list[str]) -> Conflict:
    """409 member_exists naming the identifiers another member holds."""
    return Conflict(
        "member_exists",
        "Another member has this " + ", ".join(fields) + ".",
        details=[{"field": name, "message": "is another member's"} for name in fields],
    )


def create_member(caller: Caller, body: MemberCreate) -> dict[str, Any]:
    tenant_id, given = caller.tenant_id, body.given()
    _identified(given)

    def attempt(operation: Operation) -> dict[str, Any]:
        names = [name for name in members_db.UNIQUE_FIELDS if given.get(name)]
        wanted = [members_db.guard(tenant_id, name, given[name]) for name in names]
        held = operation.read(wanted)
        if any(held):
            raise _taken([name for name, guard in zip(names, held, strict=True) if guard])
        now = clock.iso(clock.now())
        member_id = ids.ulid()
        fields = {
            "memberId": member_id,
            "email": given.get("email"),
            **{name: given.get(name) for name in PROFILE},
            "status": "active",
            "tierOverride": None,
            "balance": dict.fromkeys(BALANCE_FIELDS, 0),
            "referralCode": ids.random_code(10),
            "tags": given.get("tags") or [],
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
        items += search_db.rewrite(tenant_id, member_id, None, search_db.forms(member))
        items.append(referrals_db.claim_code(tenant_id, member["referralCode"], member_id))  # unique per tenant
        return operation.commit(items, public(tenant_id, member))

    return run(caller, attempt)


def load(tenant_id: str, member_id: str) -> MemberRecord:
    return store.get_required(members_db.key(tenant_id, member_id), "member")


def get_member(tenant_id: str, member_id: str) -> dict[str, Any]:
    return public(tenant_id, load(tenant_id, member_id))


def list_members(tenant_id: str, query: MemberListQuery) -> Page[list[dict[str, Any]]]:
    """Newest first, by creation time; by an identifier, the one member holding that value; by `q`, the
    members a prefix finds (`search`).

    A page reads the listing entries (a scatter-gather of the creation list's shards) and then those
    members with one BatchGetItem (see repository.members: the member item has no index entry, so
    balance moves write no index). A lookup reads the value's guard strongly consistent and then the
    member by key: an index may lag a write on AWS, so a lookup right after a create or an update
    would miss the member (docs/data-model.md, "Consistency").
    """
    given = query.given()
    if given.get("q") is not None:
        return search(tenant_id, given)
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


def search(tenant_id: str, given: dict[str, Any]) -> Page[list[dict[str, Any]]]:
    """The members whose email, last name, first name, externalId, phone or cardId starts with `q`
    (case-insensitive), by the matched value then memberId, each once (repository.member_search).

    The index entries are read eventually consistent; the members shown are read by key, strongly
    consistent, and an entry its member no longer agrees with (changed or erased since the index was
    written) is left out, so a page never shows a member by a value it no longer has.
    """
    others = [name for name in given if name not in ("q", "limit", "nextToken")]
    if others:
        raise ValidationFailed(details=[{"field": name, "message": "can't be given with q"} for name in others])
    page = paging.request(tenant_id, "members", given)
    wanted = search_db.form(given["q"])
    after = page.start["after"] if page.start else None
    entries, last = search_db.search(tenant_id, given["q"], page.limit, after)
    found = store.get_many([members_db.key(tenant_id, entry["memberId"]) for entry in entries]) if entries else []
    shown = []
    for entry, member in zip(entries, found, strict=True):
        if member is None:
            continue
        forms = search_db.forms(member)
        if forms.get(entry["field"]) == entry["value"] and search_db.first_match(forms, wanted) == entry["field"]:
            shown.append(public(tenant_id, member))
    return Page(shown, page.next_token({"after": last} if last else None))


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
        now, version = clock.iso(clock.now()), member["version"] + 1
        updated = cast("MemberRecord", {**member, **changes, "updatedAt": now, "version": version})  # validated fields
        _identified(updated)
        items: list[store.TxItem] = [store.put_versioned(members_db.item(tenant_id, updated), member["version"])]
        claimed: dict[int, str] = {}  # the position of each guard claimed in the transaction: its field
        relist = False
        for name in members_db.UNIQUE_FIELDS:
            old, new = fields.get(name), changes.get(name, fields.get(name))
            if (old and members_db.unique_form(name, old)) == (new and members_db.unique_form(name, new)):
                continue  # the same value to its guard (an email changing case only): the guard stays
            relist = relist or name in members_db.LISTED
            if new:
                claimed[len(items)] = name
                items.append(members_db.claim_guard(members_db.guard(tenant_id, name, new), member_id))
            if old:
                items += _released(tenant_id, member_id, name, old)
        if relist:  # the email or externalId changed: so do the member's listing entries
            items.append(members_db.relisting(tenant_id, updated))
        items += search_db.rewrite(tenant_id, member_id, search_db.forms(member), search_db.forms(updated))
        try:
            store.transact(items)
        except store.ConditionFailed as failed:
            taken = [claimed[i] for i in failed.failed if i in claimed]
            if taken:  # a guard claimed: the value belongs to another member
                raise _taken(taken) from None
            raise
        return public(tenant_id, updated)

    return run(caller, attempt)


def erase_member(caller: Caller, member_id: str) -> dict[str, Any]:
    """Erase personal data (every identifier becomes free, the search entries go) and keep the ledger, so
    totals stay true.

    First the member (terminal: nothing can copy its data any more, services/book.py), then every
    copy of its data made before: the name on its vouchers and the answers kept for its
    Idempotency-Keys (repository.personal). A call cut short is finished by calling again.
    """
    tenant_id = caller.tenant_id

    def attempt(operation: Operation) -> dict[str, Any]:
        member = operation.read_existing(members_db.key(tenant_id, member_id), "member")
        fields: Mapping[str, Any] = member  # read by the unique fields' names
        items = [
            release
            for name in members_db.UNIQUE_FIELDS
            if fields.get(name)
            for release in _released(tenant_id, member_id, name, fields[name])
        ]
        items += search_db.rewrite(tenant_id, member_id, search_db.forms(member), {})
        now = clock.iso(clock.now())
        nulled = {
            **store.plain(member),
            **dict.fromkeys(PERSONAL),
            "tags": [],  # a member's tags may describe the person: erased with the profile
            "status": "erased",  # terminal: the member takes no further part (services/book.py)
            "erasedAt": member.get("erasedAt") or now,
            "updatedAt": now,
            "version": member["version"] + 1,
        }
        erased = cast("MemberRecord", nulled)  # the personal fields nulled by name
        items.append(members_db.relisting(tenant_id, erased))
        if referrals_db.holder(tenant_id, member["referralCode"]) == member_id:  # its code answers 404 from now;
            items.append(referrals_db.release_code(tenant_id, member["referralCode"], member_id))  # not another's
        store.transact([store.put_versioned(members_db.item(tenant_id, erased), member["version"]), *items])
        return public(tenant_id, erased)

    answer = run(caller, attempt)
    _erase_copies(tenant_id, member_id)
    _erase_wallet_names(tenant_id, member_id)
    challenges_db.erase_answers(tenant_id, member_id)  # the answers of its challenge responses
    return answer


def _released(tenant_id: str, member_id: str, name: str, value: str) -> list[store.TxItem]:
    """The release of the guard of a member's old value, if the member holds it (read strongly consistent):
    a phone stored before phones were unique may have no guard, or another member's (`loyalty
    backfill-members` reports such a clash); that guard is not the member's to free."""
    guard = members_db.guard(tenant_id, name, value)
    found = store.get(guard)
    return [members_db.release_guard(guard, member_id)] if found and found["memberId"] == member_id else []


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


# --- operator tooling ---------------------------------------------------------------------------

BACKFILL_ATTEMPTS = 5


def backfill_members(tenant_id: str) -> dict[str, Any]:
    """Give every member enrolled before phone and cardId were identifiers and before the search existed
    its guards and search entries (`loyalty backfill-members`). Idempotent and resumable: what is right
    already is left as it is (create, PATCH and erasure keep both current), so a second run writes nothing.

    Each write is conditional on the member being as read (its version), so it is safe beside live
    traffic. A value whose guard another member holds (two members stored with one phone before phones
    were unique) is a clash: reported, never resolved here (change one member's phone, then run again).
    Returns {members, guards, entries, clashes: [{memberId, field, heldBy}]}.
    """
    counts: dict[str, Any] = {"members": 0, "guards": 0, "entries": 0, "clashes": []}
    for listed in members_db.by_creation(tenant_id).all(limit=500):
        counts["members"] += 1
        guards, entries, clashes = _backfill_one(tenant_id, listed["memberId"])
        counts["guards"] += guards
        counts["entries"] += entries
        counts["clashes"] += clashes
    return counts


def _backfill_one(tenant_id: str, member_id: str) -> tuple[int, int, list[dict[str, str]]]:
    """One member's missing guards and entries, from the member read strongly consistent (read again when
    it changed meanwhile): (guards written, entry sets written, clashes)."""
    for _ in range(BACKFILL_ATTEMPTS):
        member = store.get(members_db.key(tenant_id, member_id))
        if member is None:
            return 0, 0, []
        fields: Mapping[str, Any] = member  # read by the unique fields' names
        names = [name for name in members_db.UNIQUE_FIELDS if fields.get(name)]
        guards = [members_db.guard(tenant_id, name, fields[name]) for name in names]
        held = store.get_many(guards) if guards else []
        clashes = [
            {"memberId": member_id, "field": name, "heldBy": found["memberId"]}
            for name, found in zip(names, held, strict=True)
            if found is not None and found["memberId"] != member_id
        ]
        claims = [
            members_db.claim_guard(guard, member_id) for guard, found in zip(guards, held, strict=True) if found is None
        ]
        have = search_db.stored(tenant_id, [member_id])[member_id]
        repairs = search_db.repair(tenant_id, member_id, have, search_db.forms(member))
        if not claims and not repairs:
            return 0, 0, clashes
        try:
            store.transact([members_db.unchanged(tenant_id, member), *claims, *repairs])
        except store.ConditionFailed:
            continue  # the member changed, or a guard was taken meanwhile: read again
        return len(claims), 1 if repairs else 0, clashes
    raise Conflict("busy", f"Member {member_id} kept changing: run the backfill again.")
