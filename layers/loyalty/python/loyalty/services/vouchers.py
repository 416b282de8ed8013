"""Vouchers of offers: issue (pooled or generated code, offer limits), look up by id or code, redeem once, cancel.

A voucher moves `acquired → redeemed` or `acquired → cancelled`, each move one write conditioned on
the status read, so its state never goes backwards and of two racing moves exactly one wins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loyalty import clock, codes, ids
from loyalty.errors import Conflict, NotFound, ValidationFailed
from loyalty.models.types import fields_of
from loyalty.models.vouchers import Voucher
from loyalty.operation import Caller, Operation, claimed, run
from loyalty.repository import activations as activations_db
from loyalty.repository import members as members_db
from loyalty.repository import offers as offers_db
from loyalty.repository import paging, store, wallet
from loyalty.repository import vouchers as vouchers_db
from loyalty.results import Page
from loyalty.services import code_pools, offer_limits
from loyalty.services.book import Book

if TYPE_CHECKING:
    from collections.abc import Callable

    from loyalty.models.vouchers import VoucherCodesAdd, VoucherIssue, VoucherListQuery, VoucherRedeem
    from loyalty.repository.records import MemberRecord, OfferRecord, VoucherRecord

_UNKNOWN = "The voucher does not exist."  # one message for unknown ids and codes alike


def public(item: VoucherRecord) -> dict[str, Any]:
    return fields_of(Voucher, item)


# --- issue --------------------------------------------------------------------------------------


def _day(value: str | None) -> str | None:
    """The date part of an offer's date or date-time bound."""
    return value[:10] if value else None


def _require_current(offer: OfferRecord | None, now: str) -> OfferRecord:
    if offer is None:
        raise NotFound("The offer does not exist.")
    if offer.get("status") != "published":
        raise Conflict("offer_not_active", "Vouchers are issued only for a published offer.")
    start, end = offer.get("startDate"), offer.get("endDate")
    if (start and now[: len(start)] < start) or (end and now[: len(end)] > end):
        raise Conflict("offer_not_active", "The offer is not running today.")
    return offer


def _validity(offer: OfferRecord, body: VoucherIssue, today: str) -> tuple[str, str | None]:
    """(activationDate, expirationDate): the offer's dates unless narrowed; widening them is a 400."""
    start, end = _day(offer.get("startDate")), _day(offer.get("endDate"))
    activation = body.activationDate or start or today
    expiration = body.expirationDate or end
    problems = []
    if start and activation < start:
        problems.append({"field": "activationDate", "message": f"must not be before the offer starts ({start})"})
    if end and expiration and expiration > end:
        problems.append({"field": "expirationDate", "message": f"must not be after the offer ends ({end})"})
    if expiration and expiration < max(activation, today):
        problems.append({"field": "expirationDate", "message": "must be today or later, and not before activationDate"})
    if problems:
        raise ValidationFailed(details=problems)
    return activation, expiration


def _customer_name(body: VoucherIssue, member: MemberRecord | None) -> str | None:
    if body.customerName:
        given: str = body.customerName
        return given
    if member:
        name = " ".join(part for part in (member.get("firstName"), member.get("lastName")) if part)
        return name or None
    return None


def issue(caller: Caller, offer_id: str, body: VoucherIssue) -> dict[str, Any]:
    """Issue a voucher of a published, current offer to a member or a named customer, within the offer's limits."""
    tenant_id = caller.tenant_id
    member_id = body.memberId
    if not member_id and not body.customerName:
        raise ValidationFailed(details=[{"field": "memberId", "message": "give memberId or customerName"}])

    def attempt(operation: Operation) -> dict[str, Any]:
        now = clock.now()
        offer, usage = offers_db.read_offer(tenant_id, offer_id)
        offer = _require_current(offer, clock.iso(now))
        pool = vouchers_db.pool(tenant_id, offer)
        holder: list[store.Key[Any]] = [
            members_db.key(tenant_id, member_id),
            activations_db.key(tenant_id, member_id, offer_id),
        ]
        counter_key = offer_limits.counter_key(tenant_id, member_id, offer, now)
        found = operation.read(
            [*(holder if member_id else []), *pool.stock.keys(), *([counter_key] if counter_key else [])]
        )
        counter = found.pop() if counter_key else None
        member, state = found[:2] if member_id else (None, None)
        if member_id and member is None:
            raise NotFound("The member does not exist.")
        if member is not None:
            Book(tenant_id, member).require_active()  # a suspended or erased member takes no vouchers
        activation, expiration = _validity(offer, body, clock.day(now))
        claims = offer_limits.claim(tenant_id, offer, usage, member_id, state, counter, now)
        from_pool = pool.totals(found)["total"] > 0
        code = pool.claim() if from_pool else codes.generate()
        if code is None:
            raise Conflict("out_of_stock", "The offer's voucher codes are all issued.")
        voucher: VoucherRecord = {
            "voucherId": ids.secret_ulid(),
            "offerId": offer_id,
            "redemptionCode": code,
            "memberId": member_id,
            "customerName": _customer_name(body, member),
            "status": "acquired",
            "acquiredAt": clock.iso(now),
            "redeemedAt": None,
            "cancelledAt": None,
            "activationDate": activation,
            "expirationDate": expiration,
            "orderId": None,
            **offer_limits.window_name(offer, member_id, now),  # type: ignore[typeddict-item]
        }
        items = [*vouchers_db.create(tenant_id, offer, voucher, from_pool=from_pool), *claims]
        if member is not None:
            items.append(members_db.unchanged(tenant_id, member))
        return operation.commit(items, public(voucher))

    return run(caller, attempt)


def add_codes(caller: Caller, offer_id: str, body: VoucherCodesAdd) -> dict[str, Any]:
    """Preload up to 1,000 codes into an offer's pool; codes repeated or known to the program are skipped.

    Several transactions, so it runs under a claim of the Idempotency-Key (as reward code uploads do).
    """
    shaped_like_ids = [i for i, code in enumerate(body.codes) if codes.looks_like_id(code)]
    if shaped_like_ids:
        raise ValidationFailed(
            details=[
                {"field": f"codes[{i}]", "message": "must not look like a voucher id"} for i in shaped_like_ids[:20]
            ]
        )
    given = [codes.canonical(code) for code in body.codes]  # a lower-case copy is the same code
    return claimed(caller, lambda: _add_codes(caller.tenant_id, offer_id, given))


def _add_codes(
    tenant_id: str, offer_id: str, given: list[str], skipped_codes: list[str] | None = None
) -> dict[str, Any]:
    """The upload itself (also `loyalty import codes`, services/code_imports.py, which passes `skipped_codes`)."""
    offer = store.get(offers_db.offer_key(tenant_id, offer_id))
    if offer is None:
        raise NotFound("The offer does not exist.")
    if offer.get("status") == "archived":
        raise Conflict("invalid_state", "An archived offer takes no more voucher codes.")
    return code_pools.add_distinct(
        given,
        lambda codes: vouchers_db.add_codes(tenant_id, offer, codes, skipped_codes),
        lambda: vouchers_db.read_stock(tenant_id, offer),
    )


# --- reads --------------------------------------------------------------------------------------


def _find(tenant_id: str, id_or_code: str) -> VoucherRecord | None:
    """By id when shaped like one (one GetItem), else by code in any case (one Query); codes never look like ids."""
    if codes.looks_like_id(id_or_code):
        return vouchers_db.get(tenant_id, id_or_code)
    return vouchers_db.by_code(tenant_id, codes.canonical(id_or_code))


def lookup(tenant_id: str, id_or_code: str) -> dict[str, Any]:
    """The point-of-sale lookup: one read either way; unknown ids and codes get the same 404."""
    found = _find(tenant_id, id_or_code)
    if found is None:
        raise NotFound(_UNKNOWN)
    return public(found)


def get_offer_voucher(tenant_id: str, offer_id: str, voucher_id: str) -> dict[str, Any]:
    found = vouchers_db.get(tenant_id, voucher_id)
    if found is None or found["offerId"] != offer_id:
        raise NotFound(_UNKNOWN)
    return public(found)


def list_offer_vouchers(tenant_id: str, offer_id: str, query: VoucherListQuery) -> Page[list[dict[str, Any]]]:
    """An offer's vouchers, newest first; `status` a key condition on the status index, the vouchers then read by
    key (vouchers_db.page), so a page leaves out a voucher that has just left the status."""
    return _voucher_page(
        tenant_id,
        f"vouchers:{offer_id}",
        query,
        lambda status, limit, start: vouchers_db.page(tenant_id, offer_id, status, limit, start),
        offers_db.offer_key(tenant_id, offer_id),
        "The offer does not exist.",
    )


def list_member_vouchers(tenant_id: str, member_id: str, query: VoucherListQuery) -> Page[list[dict[str, Any]]]:
    """The member's wallet: every voucher issued to the member, newest first, `status` a key condition (one Query;
    by status, the entries then read by key: wallet.page)."""
    return _voucher_page(
        tenant_id,
        f"wallet:{member_id}",
        query,
        lambda status, limit, start: wallet.page(tenant_id, member_id, status, limit, start),
        members_db.key(tenant_id, member_id),
        "The member does not exist.",
    )


def _voucher_page(
    tenant_id: str,
    name: str,
    query: VoucherListQuery,
    read: Callable[[str | None, int, dict[str, Any] | None], tuple[list[VoucherRecord], dict[str, Any] | None]],
    owner: store.Key[Any],
    unknown: str,
) -> Page[list[dict[str, Any]]]:
    """A page of vouchers from `read`; an empty first page of an owner (offer, member) that does not exist is a 404."""
    page = paging.request(tenant_id, name, query.given())
    items, last = read(query.status, page.limit, page.start)
    if not items and page.first and store.get(owner) is None:
        raise NotFound(unknown)
    return Page([public(item) for item in items], page.next_token(last))


# --- moves --------------------------------------------------------------------------------------


def _mover(caller: Caller, id_or_code: str, decide: Any) -> dict[str, Any]:
    """Read the voucher, decide, write it once on condition its status is unchanged.

    By id, the read is the operation's own (one GetItem, batched with the idempotency record). By
    code, the lookup's item serves the first attempt; after a lost race the voucher is re-read by
    id, strongly consistent, so the answer comes from its current state.
    """
    tenant_id = caller.tenant_id
    looked_up = None if codes.looks_like_id(id_or_code) else vouchers_db.by_code(tenant_id, codes.canonical(id_or_code))
    if looked_up is None and not codes.looks_like_id(id_or_code):
        raise NotFound(_UNKNOWN)
    voucher_id = looked_up["voucherId"] if looked_up else id_or_code

    def attempt(operation: Operation) -> dict[str, Any]:
        voucher: VoucherRecord | None
        if looked_up is not None and operation.first:
            operation.read([])  # the Idempotency-Key record, when there is one
            voucher = looked_up
        else:
            (voucher,) = operation.read([vouchers_db.voucher_key(tenant_id, voucher_id)])
            if voucher is None:
                raise NotFound(_UNKNOWN)
        changes = decide(voucher, clock.now())
        return operation.commit(
            vouchers_db.move(tenant_id, voucher, changes), public({**voucher, **changes}), status=200
        )

    return run(caller, attempt)


def _refuse_unless_acquired(voucher: VoucherRecord) -> None:
    if voucher["status"] == "redeemed":
        raise Conflict("already_redeemed", "The voucher was redeemed already.")
    if voucher["status"] == "cancelled":
        raise Conflict("voucher_cancelled", "The voucher was cancelled.")


def redeem(caller: Caller, id_or_code: str, body: VoucherRedeem) -> dict[str, Any]:
    """acquired → redeemed, once, inside [activationDate, expirationDate]; with `offerId`, only a voucher of
    that offer (another offer's answers the same 404 as an unknown voucher, seed 004)."""

    def decide(voucher: VoucherRecord, now: Any) -> dict[str, Any]:
        if body.offerId is not None and voucher["offerId"] != body.offerId:
            raise NotFound(_UNKNOWN)
        _refuse_unless_acquired(voucher)
        today = clock.day(now)
        if voucher["activationDate"] and today < voucher["activationDate"]:
            raise Conflict("voucher_not_active", f"The voucher can be redeemed from {voucher['activationDate']}.")
        if voucher["expirationDate"] and today > voucher["expirationDate"]:
            raise Conflict("voucher_expired", f"The voucher expired after {voucher['expirationDate']}.")
        return {"status": "redeemed", "redeemedAt": clock.iso(now), "orderId": body.orderId}

    return _mover(caller, id_or_code, decide)


def cancel(caller: Caller, id_or_code: str) -> dict[str, Any]:
    """acquired → cancelled (expired or not); a redeemed voucher stays redeemed (409 already_redeemed)."""

    def decide(voucher: VoucherRecord, now: Any) -> dict[str, Any]:
        _refuse_unless_acquired(voucher)
        return {"status": "cancelled", "cancelledAt": clock.iso(now)}

    return _mover(caller, id_or_code, decide)


# --- operator tooling ---------------------------------------------------------------------------


BACKFILL_ATTEMPTS = 5


def backfill_wallet(tenant_id: str) -> dict[str, int]:
    """Give every voucher issued to a member before the wallet existed its wallet entry (`loyalty
    backfill-wallet`). Idempotent and resumable: an entry that exists is left as it is (the voucher's
    moves keep it current), so a second run writes nothing. Returns {vouchers, written, present}."""
    counts = {"vouchers": 0, "written": 0, "present": 0}
    for offer, _ in offers_db.everything(tenant_id).values():
        if offer is None:
            continue
        for voucher in vouchers_db.all_vouchers(tenant_id, offer["offerId"]):
            if voucher.get("memberId"):
                counts["vouchers"] += 1
                counts["written" if _backfill_one(tenant_id, voucher["voucherId"]) else "present"] += 1
    return counts


def _backfill_one(tenant_id: str, voucher_id: str) -> bool:
    """Write one voucher's entry if it has none, from the voucher read strongly consistent; a voucher
    moved or erased meanwhile is read again. True when this call wrote the entry."""
    key = vouchers_db.voucher_key(tenant_id, voucher_id)
    for _ in range(BACKFILL_ATTEMPTS):
        voucher = store.get_required(key, "voucher")
        if store.get(wallet.entry_key(tenant_id, str(voucher["memberId"]), voucher_id)) is not None:
            return False
        try:
            store.transact(wallet.backfill(tenant_id, voucher, key))
            return True
        except store.ConditionFailed:
            continue  # the entry was written (next read sees it), or the voucher changed: read again
    raise Conflict("busy", f"Voucher {voucher_id} kept changing: run the backfill again.")
