"""Member imports (contract §14): the one row-processing path, used by `loyalty import members` locally and by the
deployed chunk worker alike.

A row is a member's profile and one of its point lots, keyed by (the member's first identifier, `lotId`). Each row
is one transaction: its marker (repository.imports, written only if absent), its `import` ledger entry, its lot
and the member — created by the member's first row (profile from that row, every identifier's guard claimed), else
updated on condition that it is as read (its version). So a row applies at most once however often it is retried
or raced, and a row met again is told apart by the marker's digest: the same data is `unchanged`, other data a
`conflict` (nothing overwritten). An identifier held by a member created through the API is a conflict too.

A member's first row needs no read: its writes are conditional, and only when one is refused are the guard, the
member and the marker read to classify the row. A member's later rows in the same call use the member as this
call wrote it (its version), read again only if that write is refused.

An opening balance is one `import` entry whose lot keeps the row's `expiresAt` (a lot item like an award's: the
expiry job and the checker treat it as any lot) and whose entry keeps `earnedAt`. A lot already past its date at
import is recorded as expired: the `import` entry (status `expired`) and an `expire` entry of the same points, in
the same transaction, touching no lot: the balance's `expired` grows, `available` does not. Lots sit on the member's
cumulative axis in expiry order (services/book.py), so a member's rows must come soonest expiry first: a live lot
that would expire before the member's last live lot is rejected (field `expiresAt`), never moved to a later date.
`qualifiedPoints` is the member's lifetime qualified points carried over, taken from the member's first row like
the profile (`importedQualified` on the member; the checker counts it).

Writes made by an import make no per-row events (services/events.py skips them by their `importId`); one
`import.completed` is stored by `complete_import`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, cast

from loyalty import clock, ids
from loyalty.models.imports import KEY_ORDER, MemberImportRow, RowRejected, parse_row
from loyalty.models.ledger import Transaction
from loyalty.models.types import fields_of
from loyalty.repository import events as events_db
from loyalty.repository import imports as imports_db
from loyalty.repository import ledger as ledger_db
from loyalty.repository import lots as lots_db
from loyalty.repository import member_search as search_db
from loyalty.repository import members as members_db
from loyalty.repository import referrals as referrals_db
from loyalty.repository import store
from loyalty.services import program
from loyalty.services.book import NEVER, expires_at
from loyalty.services.members import BALANCE_FIELDS, PROFILE

if TYPE_CHECKING:
    from loyalty.repository.records import MemberRecord, TransactionRecord

Status = Literal["created", "unchanged", "conflict", "rejected"]
EVENT_TYPE = "import.completed"
ATTEMPTS = 5  # a row whose member keeps changing under it is read and tried again this often, then a conflict


@dataclass(frozen=True)
class RowOutcome:
    """What became of one row: `field` and `reason` say why for a conflict or a rejection."""

    line: int
    status: Status
    field: str | None = None
    reason: str | None = None


def member_key(row: Mapping[str, Any]) -> str:
    """The row's first identifier (externalId, email, phone, cardId: the first the row gives), in its guard's
    normal form, as `field:value`: the key a member's rows are routed and grouped by ("" when it has none)."""
    for name in KEY_ORDER:
        value = row.get(name)
        if isinstance(value, str) and value.strip():
            return f"{name}:{members_db.unique_form(name, value.strip())}"
    return ""


def digest(row: MemberImportRow) -> str:
    """The row's data, normalised, as a short hash: equal for the same row written alike."""
    canonical = json.dumps(row.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


class _Import:
    """One call's context: the tenant, the import, the time, the settings (read once), the members it wrote."""

    def __init__(self, tenant_id: str, import_id: str) -> None:
        self.tenant_id, self.import_id = tenant_id, import_id
        self.now = clock.now()
        self.at = clock.iso(self.now)
        self.today = clock.day(self.now)
        self.settings = program.load(tenant_id)
        self.tier_ids = {tier["tierId"] for tier in self.settings.get("tiers") or []}
        self.written: dict[str, MemberRecord] = {}  # by member key: each member as this call last wrote it


GROUP_ITEMS = 100  # writes per transaction (DynamoDB's limit): the rows of several members commit together
GROUP_ROOM = 8  # a group this close to full takes no more rows (a new member's row is about 10 writes)


@dataclass
class _Row:
    """A valid row: the row, its digest and its member's key."""

    line: int
    row: MemberImportRow
    digest: str
    key: str


@dataclass
class _Plan:
    """A row's writes, and its member as they leave it."""

    row: _Row
    items: list[store.TxItem]
    member: MemberRecord


def import_member_rows(
    tenant_id: str, rows: Sequence[tuple[int, Mapping[str, Any]]], *, import_id: str
) -> list[RowOutcome]:
    """Validate and write each row, in order, idempotently (see the module's docstring); one outcome per row.

    The rows of different members commit together, up to GROUP_ITEMS writes per transaction (one member's row
    per transaction, the member's next row in a later one); when a group's transaction is refused, the rows whose
    conditions failed are read and classified one by one and the others commit again. A bad row is never an
    exception: it is `rejected` with its field and reason. A store error (throttling past the retries, an outage)
    is raised: the caller runs the same rows again, which changes nothing already done.
    """
    context = _Import(tenant_id, import_id)
    outcomes: dict[int, RowOutcome] = {}
    valid: dict[int, _Row] = {}
    for index, (line, raw) in enumerate(rows):
        checked = _parse(context, line, raw)
        if isinstance(checked, RowOutcome):
            outcomes[index] = checked
        else:
            valid[index] = checked
    waiting = sorted(valid)
    while waiting:
        group: list[tuple[int, _Plan]] = []
        later: list[int] = []
        taken: set[str] = set()
        size = 0
        for position, index in enumerate(waiting):
            if size >= GROUP_ITEMS - GROUP_ROOM:
                later += waiting[position:]  # the group is full: the rest wait for the next
                break
            row = valid[index]
            if row.key in taken:
                later.append(index)  # the member's earlier row is in this group: this one waits for it
                continue
            taken.add(row.key)
            try:
                plan = _plan(context, row)
            except RowRejected as rejected:  # a lot out of order, unless the row was imported before: read it
                outcomes[index] = (
                    _classify(context, row)
                    if row.key in context.written
                    else RowOutcome(row.line, "rejected", rejected.field, rejected.reason)
                )
                continue
            if group and size + len(plan.items) > GROUP_ITEMS:
                later.append(index)
                continue
            group.append((index, plan))
            size += len(plan.items)
        retry = _commit(context, group, outcomes)
        waiting = sorted(later + retry)
    return [outcomes[index] for index in range(len(rows))]


def _parse(context: _Import, line: int, raw: Mapping[str, Any]) -> _Row | RowOutcome:
    try:
        row = parse_row(dict(raw))
        if row.tierOverride is not None and row.tierOverride not in context.tier_ids:
            raise RowRejected("tierOverride", "is not a tier of the program")
    except RowRejected as rejected:
        return RowOutcome(line, "rejected", rejected.field, rejected.reason)
    return _Row(line, row, digest(row), member_key(row.model_dump()))


def _plan(context: _Import, row: _Row) -> _Plan:
    known = context.written.get(row.key)
    return _plan_create(context, row) if known is None else _plan_add(context, row, known)


def _commit(context: _Import, group: list[tuple[int, _Plan]], outcomes: dict[int, RowOutcome]) -> list[int]:
    """Commit a group's rows in one transaction; on a refusal, classify the rows at fault one by one and hand
    back the others (nothing of the group was written) to commit again."""
    if not group:
        return []
    try:
        store.transact([item for _, plan in group for item in plan.items])
    except store.ConditionFailed as failed:
        bounds, start = [], 0
        for _, plan in group:
            bounds.append((start, start + len(plan.items)))
            start += len(plan.items)
        at_fault = {
            position for position, (low, high) in enumerate(bounds) if any(low <= i < high for i in failed.failed)
        }
        if not at_fault or len(group) == 1:
            at_fault = set(range(len(group)))
        for position in sorted(at_fault):
            index, plan = group[position]
            outcomes[index] = _classify(context, plan.row)
        return [index for position, (index, _) in enumerate(group) if position not in at_fault]
    for index, plan in group:
        context.written[plan.row.key] = plan.member
        outcomes[index] = RowOutcome(plan.row.line, "created")
    return []


def _write(context: _Import, plan: _Plan) -> RowOutcome:
    store.transact(plan.items)
    context.written[plan.row.key] = plan.member
    return RowOutcome(plan.row.line, "created")


def _classify(context: _Import, given: _Row) -> RowOutcome:
    """A write was refused: read what is there and decide (unchanged, conflict), or write again on what was read."""
    tenant_id, line, row, key = context.tenant_id, given.line, given.row, given.key
    first = key.split(":", 1)[0]
    for _ in range(ATTEMPTS):
        holder = members_db.holder(tenant_id, first, getattr(row, first))
        try:
            if holder is None:
                taken = _taken_identifiers(context, row)
                if taken:
                    return RowOutcome(line, "conflict", taken[0], "is held by another member")
                return _write(context, _plan_create(context, given))
            found, marker = store.get_many(
                [members_db.key(tenant_id, holder), imports_db.marker_key(tenant_id, holder, row.lotId)]
            )
            member = cast("MemberRecord | None", found)
            if member is None:
                continue  # a guard without its member yet: read again
            if marker is not None:
                context.written[key] = member
                if marker["digest"] == given.digest:
                    return RowOutcome(line, "unchanged")
                where = f"line {marker['line']} of import {marker['importId']}"
                return RowOutcome(line, "conflict", "lotId", f"imported before with other data ({where})")
            if not member.get("importedBy"):
                return RowOutcome(line, "conflict", first, "is held by a member created through the API")
            if member.get("erasedAt"):
                return RowOutcome(line, "conflict", first, "is held by an erased member")
            return _write(context, _plan_add(context, given, member))
        except RowRejected as rejected:
            return RowOutcome(line, "rejected", rejected.field, rejected.reason)
        except store.ConditionFailed:
            continue
    return RowOutcome(line, "conflict", None, "the member kept changing during the import; run it again")


def _taken_identifiers(context: _Import, row: MemberImportRow) -> list[str]:
    names = [name for name in KEY_ORDER if getattr(row, name)]
    held = store.get_many([members_db.guard(context.tenant_id, name, getattr(row, name)) for name in names])
    return [name for name, guard in zip(names, held, strict=True) if guard is not None]


def _plan_create(context: _Import, given: _Row) -> _Plan:
    """The member's first row: the member with its guards, listing, search entries and referral code, the row's
    lot and entries and its marker, all refused if any identifier is taken."""
    tenant_id, member_id, row, line = context.tenant_id, ids.ulid(context.now), given.row, given.line
    values = row.model_dump()
    member = cast(
        "MemberRecord",
        {
            "memberId": member_id,
            "email": values.get("email"),
            **{name: values.get(name) for name in PROFILE},
            "status": "active",
            "tierOverride": row.tierOverride,
            "balance": dict.fromkeys(BALANCE_FIELDS, 0),
            "referralCode": ids.random_code(10),
            "tags": row.tags or [],
            "createdAt": context.at,
            "updatedAt": context.at,
            "version": 0,
            "lotTotal": 0,
            "consumed": 0,
            "lastLotExpiry": None,
            "importedBy": context.import_id,
            "importWrite": f"{context.import_id}:{line}",
            "importedQualified": row.qualifiedPoints or 0,
        },
    )
    member["balance"]["qualified"] = row.qualifiedPoints or 0
    lot_items, entry_items, transaction_id = _lot_writes(context, row, member)
    guards = [
        members_db.guard(tenant_id, name, getattr(row, name)) for name in members_db.UNIQUE_FIELDS if getattr(row, name)
    ]
    items = [
        store.put_new(members_db.item(tenant_id, member)),
        store.put_new(members_db.listing(tenant_id, member)),
        *(store.put_new(members_db.guard_item(guard, member_id)) for guard in guards),
        *search_db.rewrite(tenant_id, member_id, None, search_db.forms(member)),
        referrals_db.claim_code(tenant_id, member["referralCode"], member_id),
        *lot_items,
        *entry_items,
        _marker(context, given, member_id, transaction_id),
    ]
    return _Plan(given, items, member)


def _plan_add(context: _Import, given: _Row, known: MemberRecord) -> _Plan:
    """A later row of an imported member: its lot, entries and marker, and the member on condition it is as read."""
    member = cast("MemberRecord", json.loads(json.dumps(store.plain(known), default=int)))
    lot_items, entry_items, transaction_id = _lot_writes(context, given.row, member)
    marker = _marker(context, given, member["memberId"], transaction_id)
    if not entry_items:  # a row with no lot: the marker alone (the member is as its first row made it)
        return _Plan(given, [marker], known)
    member["updatedAt"] = context.at
    member["version"] = known["version"] + 1
    member["importWrite"] = f"{context.import_id}:{given.line}"
    member_put = store.put_versioned(members_db.item(context.tenant_id, member), known["version"])
    return _Plan(given, [member_put, *lot_items, *entry_items, marker], member)


def _marker(context: _Import, given: _Row, member_id: str, transaction_id: str | None) -> store.TxItem:
    return imports_db.put_marker(
        context.tenant_id,
        member_id,
        given.row.lotId,
        digest=given.digest,
        import_id=context.import_id,
        line=given.line,
        transaction_id=transaction_id,
        at=context.at,
    )


def _lot_writes(
    context: _Import, row: MemberImportRow, member: MemberRecord
) -> tuple[list[store.TxItem], list[store.TxItem], str | None]:
    """The row's lot (if live) and ledger entries, and its import entry's id; its moves applied to `member`."""
    if row.points is None or row.lotId is None:
        return [], [], None
    tenant_id, member_id, points = context.tenant_id, member["memberId"], row.points
    expires_on = row.expiresAt or NEVER
    balance = member["balance"]
    balance["lifetime"] += points
    common = {"lotId": row.lotId, "importId": context.import_id, "earnedAt": row.earnedAt or context.at}
    if expires_on < context.today:  # past its date already: recorded as expired, never spendable
        balance["available"] += points
        imported = _entry(context, member, "import", points, "expired", expires_on, common)
        balance["available"] -= points
        balance["expired"] += points
        reason = f"imported lot {row.lotId} expired on {expires_on}"
        expired = _entry(context, member, "expire", points, "approved", expires_on, {**common, "reason": reason})
        return [], [_put_entry(tenant_id, imported), _put_entry(tenant_id, expired)], imported["transactionId"]
    last = member.get("lastLotExpiry")
    if last is not None and last >= context.today and expires_on < last:
        earlier = "a lot that never expires" if last == NEVER else f"the member's lot of {last}"
        reason = f"is earlier than {earlier}, given before it: give a member's lots soonest first"
        raise RowRejected("expiresAt", reason)
    start = member["lotTotal"]
    lot = lots_db.add(tenant_id, member_id, expires_on, start, points, expires=expires_on != NEVER)
    member["lotTotal"] = start + points
    member["lastLotExpiry"] = expires_on
    balance["available"] += points
    imported = _entry(context, member, "import", points, "approved", expires_on, common)
    return [lot], [_put_entry(tenant_id, imported)], imported["transactionId"]


def _entry(
    context: _Import,
    member: MemberRecord,
    type_: str,
    points: int,
    status: str,
    expires_on: str,
    fields: dict[str, Any],
) -> TransactionRecord:
    balance = member["balance"]
    stored = {
        **dict.fromkeys(fields_of(Transaction, {})),
        "cancelledPoints": 0,
        "returnedPoints": 0,
        "deficitPoints": 0,
        "transactionId": ids.ulid(context.now),
        "memberId": member["memberId"],
        "type": type_,
        "points": points,
        "status": status,
        "reason": f"imported lot {fields['lotId']}",
        "createdAt": context.at,
        "approvedAt": context.at,
        "expiresAt": expires_at(expires_on),
        **fields,
        "balanceAfter": {"available": balance["available"], "pending": balance["pending"]},
    }
    return cast("TransactionRecord", stored)


def _put_entry(tenant_id: str, entry: TransactionRecord) -> store.TxItem:
    return store.put_new(ledger_db.item(tenant_id, entry))


# --- completion ---------------------------------------------------------------------------------

SUMMARY_FIELDS = ("created", "unchanged", "conflicts", "rejected", "rowsTotal")


def completion_event_id(tenant_id: str, import_id: str, timestamp: str) -> str:
    """`evt_` + a ULID of the completion's time whose 80 bits hash the tenant and the import."""
    canonical = json.dumps([EVENT_TYPE, tenant_id, import_id])
    randomness = int.from_bytes(hashlib.sha256(canonical.encode()).digest()[:10], "big")
    return events_db.PREFIX + ids.ulid_of(int(clock.parse_iso(timestamp).timestamp() * 1000), randomness)


def complete_import(tenant_id: str, import_id: str, summary: Mapping[str, int]) -> None:
    """Store the one `import.completed` event of an import (data: importId and the summary's counts), with the
    import's completion item, once: a second call for the same import stores nothing."""
    now = clock.now()
    timestamp = clock.iso(now)
    counts = {name: int(summary.get(name, 0)) for name in SUMMARY_FIELDS}
    event: dict[str, Any] = {
        "id": completion_event_id(tenant_id, import_id, timestamp),
        "type": EVENT_TYPE,
        "timestamp": timestamp,
        "tenantId": tenant_id,
        "data": {"importId": import_id, **counts, "completedAt": timestamp},
    }
    kept = int((now + timedelta(days=events_db.RETENTION_DAYS)).timestamp())
    try:
        store.transact(
            [
                imports_db.put_completion(tenant_id, import_id, event["id"], counts, timestamp),
                store.put_new(events_db.item(tenant_id, event, import_id, None, kept)),
            ]
        )
    except store.ConditionFailed:
        return  # completed before: its event is stored already


def new_import_id(at: datetime | None = None) -> str:
    """A fresh import id (a ULID)."""
    return ids.ulid(at or clock.now())
