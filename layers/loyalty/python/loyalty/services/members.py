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


def email_guard(tenant_id: str, email: str) -> store.Key:
    return store.key(f"{keys.tenant(tenant_id)}#EMAIL#{email.lower()}", "GUARD")


def external_guard(tenant_id: str, external_id: str) -> store.Key:
    return store.key(f"{keys.tenant(tenant_id)}#EXT#{external_id}", "GUARD")


def tier_of(settings: dict[str, Any], member: dict[str, Any]) -> dict[str, str] | None:
    """The override when set, else the highest tier whose threshold ≤ qualified points."""
    tiers = settings.get("tiers") or []
    if member.get("tierOverride"):
        chosen = [t for t in tiers if t["tierId"] == member["tierOverride"]]
    else:
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
        out.update(gsi3pk=f"{keys.tenant(tenant_id)}#EMAIL#{member['email'].lower()}", gsi3sk="MEMBER")
    if member.get("externalId"):
        out.update(gsi1pk=f"{keys.tenant(tenant_id)}#EXT#{member['externalId']}", gsi1sk="MEMBER")
    return out


def _stored(tenant_id: str, member: dict[str, Any]) -> dict[str, Any]:
    return {**member_key(tenant_id, member["memberId"]), **member, **_index_keys(tenant_id, member)}


def create_member(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    tenant_id = caller.tenant_id

    def attempt(operation: Operation) -> dict[str, Any]:
        wanted = [email_guard(tenant_id, body["email"])]
        if body.get("externalId"):
            wanted.append(external_guard(tenant_id, body["externalId"]))
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
        items += [store.put_new({**guard, "memberId": member_id}) for guard in wanted]
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
        partition, index, sort = ("gsi3pk", f"{keys.tenant(tenant_id)}#EMAIL#{query['email'].lower()}"), "gsi3", None
    elif query.get("externalId"):
        partition, index, sort = ("gsi1pk", f"{keys.tenant(tenant_id)}#EXT#{query['externalId']}"), "gsi1", None
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
    if changes.get("tierOverride") and changes["tierOverride"] not in {
        tier["tierId"] for tier in program.load(tenant_id).get("tiers") or []
    }:
        raise ValidationFailed(details=[{"field": "tierOverride", "message": "is not a tier of the program"}])

    def attempt(operation: Operation) -> dict[str, Any]:
        (member,) = operation.read([member_key(tenant_id, member_id)])
        if member is None:
            raise NotFound("The member does not exist.")
        if member.get("erasedAt") and any(name in changes for name in PERSONAL):
            raise Conflict("invalid_state", "An erased member's personal data can't be set again.")
        items: list[store.TxItem] = []
        for name, guard in (("email", email_guard), ("externalId", external_guard)):
            old, new = member.get(name), changes.get(name, member.get(name))
            if (old or "").lower() == (new or "").lower():
                continue  # unchanged (an email may change case only: its guard stays)
            if new:
                items.append(
                    store.put(
                        {**guard(tenant_id, new), "memberId": member_id},
                        condition="attribute_not_exists(pk) OR memberId = :m",
                        values={":m": member_id},
                    )
                )
            if old:
                items.append(store.delete(guard(tenant_id, old)))
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
        items: list[store.TxItem] = []
        if member.get("email"):
            items.append(store.delete(email_guard(tenant_id, member["email"])))
        if member.get("externalId"):
            items.append(store.delete(external_guard(tenant_id, member["externalId"])))
        now = clock.iso(clock.now())
        erased = {
            **{k: v for k, v in member.items() if not k.startswith("gsi")},
            **dict.fromkeys(PERSONAL),
            "erasedAt": member.get("erasedAt") or now,
            "updatedAt": now,
            "version": member["version"] + 1,
        }
        store.transact([versioned_put(tenant_id, erased, member["version"]), *items])
        return public(tenant_id, erased)

    return run(caller, attempt)
