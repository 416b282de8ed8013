"""Members: create with unique email and externalId, read with tier, list, update, erase personal data."""

from __future__ import annotations

from typing import Any

from loyalty import clock, ids
from loyalty.errors import Conflict, Forbidden, NotFound, ValidationFailed
from loyalty.operation import Caller, Operation, run
from loyalty.repository import cursor, keys, store
from loyalty.results import Page
from loyalty.services import program

PROFILE = ("externalId", "firstName", "lastName", "gender", "birthdate", "phone", "profileImageUrl")
PERSONAL = ("email", *PROFILE)
BALANCE_FIELDS = ("available", "pending", "redeemed", "expired", "lifetime", "qualified")


def member_key(tenant_id: str, member_id: str) -> store.Key:
    return store.key(f"{keys.tenant(tenant_id)}#M#{member_id}", "MEMBER")


def _exact(value: str) -> str:
    return value


def _caseless(value: str) -> str:
    return value.lower()


# The unique fields, each with the tag of its guard and lookup index and the one normaliser that
# both are built from: email is case-insensitive, externalId exact like every client-chosen id.
UNIQUE_FIELDS: dict[str, tuple[str, Any]] = {"email": ("EMAIL", _caseless), "externalId": ("EXT", _exact)}


def unique_form(field: str, value: str) -> str:
    """The value as its guard and its index see it: equal forms are the same value."""
    return UNIQUE_FIELDS[field][1](value)


def _unique_partition(tenant_id: str, field: str, value: str) -> str:
    return f"{keys.tenant(tenant_id)}#{UNIQUE_FIELDS[field][0]}#{unique_form(field, value)}"


def guard(tenant_id: str, field: str, value: str) -> store.Key:
    """The item that reserves a unique field's value for one member."""
    return store.key(_unique_partition(tenant_id, field, value), "GUARD")


def email_guard(tenant_id: str, email: str) -> store.Key:
    return guard(tenant_id, "email", email)


def external_guard(tenant_id: str, external_id: str) -> store.Key:
    return guard(tenant_id, "externalId", external_id)


def tier_of(settings: dict[str, Any], member: dict[str, Any]) -> dict[str, str] | None:
    """The override when set, else the highest tier whose threshold ≤ qualified points."""
    tiers = settings.get("tiers") or []
    chosen = [t for t in tiers if t["tierId"] == member.get("tierOverride")]
    if not chosen:  # no override, or one naming a tier the program no longer has: the earned tier
        chosen = [t for t in tiers if t["threshold"] <= member["balance"]["qualified"]][-1:]
    return {"tierId": chosen[0]["tierId"], "name": chosen[0]["name"]} if chosen else None


def public(tenant_id: str, member: dict[str, Any]) -> dict[str, Any]:
    out = {
        "memberId": member["memberId"],
        "email": member.get("email"),
        **{name: member.get(name) for name in PROFILE},
        "status": member["status"],
        "tier": tier_of(program.load(tenant_id), member),
        "tierOverride": member.get("tierOverride"),
        "balance": {name: member["balance"][name] for name in BALANCE_FIELDS},
        "referralCode": member["referralCode"],
        "createdAt": member["createdAt"],
        "updatedAt": member["updatedAt"],
    }
    if member.get("erasedAt"):
        out["erasedAt"] = member["erasedAt"]
    return out


def _index_keys(tenant_id: str, member: dict[str, Any]) -> dict[str, Any]:
    """The lookup entries of a member: by email (gsi3), by externalId (gsi1), by creation (gsi2)."""
    out: dict[str, Any] = {"gsi2pk": f"{keys.tenant(tenant_id)}#MEMBERS", "gsi2sk": member["memberId"]}
    if member.get("email"):
        out.update(gsi3pk=_unique_partition(tenant_id, "email", member["email"]), gsi3sk="MEMBER")
    if member.get("externalId"):
        out.update(gsi1pk=_unique_partition(tenant_id, "externalId", member["externalId"]), gsi1sk="MEMBER")
    return out


def _stored(tenant_id: str, member: dict[str, Any]) -> dict[str, Any]:
    return {**member_key(tenant_id, member["memberId"]), **member, **_index_keys(tenant_id, member)}


def create_member(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    tenant_id = caller.tenant_id

    def attempt(operation: Operation) -> dict[str, Any]:
        wanted = [guard(tenant_id, name, body[name]) for name in UNIQUE_FIELDS if body.get(name)]
        if any(operation.read(wanted)):
            raise Conflict("member_exists", "A member with this email or externalId exists already.")
        now = clock.iso(clock.now())
        member_id = ids.ulid()
        member = {
            "memberId": member_id,
            "email": body["email"],
            **{name: body.get(name) for name in PROFILE},
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
        items = [store.put_new(_stored(tenant_id, member))]
        items += [store.put_new({**reserved, "memberId": member_id}) for reserved in wanted]
        return operation.commit(items, public(tenant_id, member))

    return run(caller, attempt)


def load(tenant_id: str, member_id: str) -> dict[str, Any]:
    member = store.get(member_key(tenant_id, member_id))
    if member is None:
        raise NotFound("The member does not exist.")
    return member


def get_member(tenant_id: str, member_id: str) -> dict[str, Any]:
    return public(tenant_id, load(tenant_id, member_id))


def list_members(tenant_id: str, query: dict[str, Any]) -> Page:
    """Newest first; by email or externalId through their index, else by creation time."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    filters = []
    if query.get("email"):
        partition, index, sort = ("gsi3pk", _unique_partition(tenant_id, "email", query["email"])), "gsi3", None
    elif query.get("externalId"):
        by_external = _unique_partition(tenant_id, "externalId", query["externalId"])
        partition, index, sort = ("gsi1pk", by_external), "gsi1", None
    else:
        partition, index = ("gsi2pk", f"{keys.tenant(tenant_id)}#MEMBERS"), "gsi2"
        low = ids.ulid_floor(clock.parse_iso(query["createdFrom"])) if query.get("createdFrom") else "0"
        high = ids.ulid_ceiling(clock.parse_iso(query["createdTo"])) if query.get("createdTo") else "Z" * 26
        sort, values = "#s BETWEEN :low AND :high", {":low": low, ":high": high}
    if index != "gsi2":
        for name, op in (("createdFrom", ">="), ("createdTo", "<=")):
            if query.get(name):
                names["#c"] = "createdAt"
                values[f":{name}"] = query[name]
                filters.append(f"#c {op} :{name}")
    if query.get("createdFrom") and query.get("createdTo") and query["createdFrom"] > query["createdTo"]:
        raise ValidationFailed(details=[{"field": "createdTo", "message": "must not be before createdFrom"}])
    query_id = cursor.query_id("members", query)
    items, last = store.query(
        partition,
        index=index,
        sort=sort,
        values=values,
        names=names or None,
        filter_expression=" AND ".join(filters) or None,
        newest_first=True,
        limit=query.get("limit", 25),
        start=cursor.decode(tenant_id, query_id, query.get("nextToken")),
    )
    return Page([public(tenant_id, item) for item in items], cursor.encode(tenant_id, query_id, last))


def update_member(caller: Caller, member_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    tenant_id, changes = caller.tenant_id, dict(changes)
    if "tierOverride" in changes and not caller.admin:
        raise Forbidden("Only an admin key may set tierOverride.")
    if changes.get("tierOverride"):
        program.check_tier_ids(tenant_id, [changes["tierOverride"]], "tierOverride")

    def attempt(operation: Operation) -> dict[str, Any]:
        (member,) = operation.read([member_key(tenant_id, member_id)])
        if member is None:
            raise NotFound("The member does not exist.")
        if member.get("erasedAt"):
            raise Conflict("invalid_state", "The member was erased: it can't be changed.")
        items: list[store.TxItem] = []
        for name in UNIQUE_FIELDS:
            old, new = member.get(name), changes.get(name, member.get(name))
            if (old and unique_form(name, old)) == (new and unique_form(name, new)):
                continue  # the same value to its guard (an email changing case only): the guard stays
            if new:
                items.append(
                    store.put(
                        {**guard(tenant_id, name, new), "memberId": member_id},
                        condition="attribute_not_exists(pk) OR memberId = :m",
                        values={":m": member_id},
                    )
                )
            if old:
                items.append(store.delete(guard(tenant_id, name, old)))
        updated = {**member, **changes, "updatedAt": clock.iso(clock.now()), "version": member["version"] + 1}
        for name in ("gsi1pk", "gsi1sk", "gsi3pk", "gsi3sk"):
            updated.pop(name, None)
        items.insert(0, versioned_put(tenant_id, updated, member["version"]))
        try:
            store.transact(items)
        except store.ConditionFailed as failed:
            if failed.failed != [0]:  # a guard: the email or externalId belongs to another member
                raise Conflict("member_exists", "Another member has this email or externalId.") from None
            raise
        return public(tenant_id, updated)

    return run(caller, attempt)


def versioned_put(tenant_id: str, member: dict[str, Any], version: int) -> store.TxItem:
    return store.put_versioned(_stored(tenant_id, member), version)


def erase_member(caller: Caller, member_id: str) -> dict[str, Any]:
    """Erase personal data (the email becomes free) and keep the ledger, so totals stay true."""
    tenant_id = caller.tenant_id

    def attempt(operation: Operation) -> dict[str, Any]:
        (member,) = operation.read([member_key(tenant_id, member_id)])
        if member is None:
            raise NotFound("The member does not exist.")
        items = [store.delete(guard(tenant_id, name, member[name])) for name in UNIQUE_FIELDS if member.get(name)]
        now = clock.iso(clock.now())
        erased = {
            **{k: v for k, v in member.items() if not k.startswith("gsi")},
            **dict.fromkeys(PERSONAL),
            "status": "erased",  # terminal: the member takes no further part (services/book.py)
            "erasedAt": member.get("erasedAt") or now,
            "updatedAt": now,
            "version": member["version"] + 1,
        }
        store.transact([versioned_put(tenant_id, erased, member["version"]), *items])
        return public(tenant_id, erased)

    return run(caller, attempt)
