"""Vouchers of offers: issue (pooled or generated code, offer limits), look up by id or code, redeem once, cancel.

A voucher moves `acquired → redeemed` or `acquired → cancelled`, each move one write conditioned on
the status read, so its state never goes backwards and of two racing moves exactly one wins.
"""

from __future__ import annotations

from typing import Any

from loyalty import clock, codes, ids
from loyalty.errors import Conflict, NotFound, ValidationFailed
from loyalty.operation import Caller, Operation, claimed, run
from loyalty.repository import cursor, store
from loyalty.repository import members as members_db
from loyalty.repository import offers as offers_repo
from loyalty.repository import vouchers as repo
from loyalty.results import Page
from loyalty.services import offer_limits
from loyalty.services.book import Book

FIELDS = (
    "voucherId",
    "offerId",
    "redemptionCode",
    "memberId",
    "customerName",
    "status",
    "acquiredAt",
    "redeemedAt",
    "cancelledAt",
    "activationDate",
    "expirationDate",
    "orderId",
)
_UNKNOWN = "The voucher does not exist."  # one message for unknown ids and codes alike


def public(item: dict[str, Any]) -> dict[str, Any]:
    return {name: item.get(name) for name in FIELDS}


# --- issue --------------------------------------------------------------------------------------


def _day(value: str | None) -> str | None:
    """The date part of an offer's date or date-time bound."""
    return value[:10] if value else None


def _require_current(offer: dict[str, Any] | None, now: str) -> dict[str, Any]:
    if offer is None:
        raise NotFound("The offer does not exist.")
    if offer.get("status") != "published":
        raise Conflict("offer_not_active", "Vouchers are issued only for a published offer.")
    start, end = offer.get("startDate"), offer.get("endDate")
    if (start and now[: len(start)] < start) or (end and now[: len(end)] > end):
        raise Conflict("offer_not_active", "The offer is not running today.")
    return offer


def _validity(offer: dict[str, Any], body: dict[str, Any], today: str) -> tuple[str, str | None]:
    """(activationDate, expirationDate): the offer's dates unless narrowed; widening them is a 400."""
    start, end = _day(offer.get("startDate")), _day(offer.get("endDate"))
    activation = body.get("activationDate") or start or today
    expiration = body.get("expirationDate") or end
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


def _customer_name(body: dict[str, Any], member: dict[str, Any] | None) -> str | None:
    if body.get("customerName"):
        return str(body["customerName"])
    if member:
        name = " ".join(part for part in (member.get("firstName"), member.get("lastName")) if part)
        return name or None
    return None


def issue(caller: Caller, offer_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Issue a voucher of a published, current offer to a member or a named customer, within the offer's limits."""
    tenant_id = caller.tenant_id
    member_id = body.get("memberId")
    if not member_id and not body.get("customerName"):
        raise ValidationFailed(details=[{"field": "memberId", "message": "give memberId or customerName"}])

    def attempt(operation: Operation) -> dict[str, Any]:
        now = clock.now()
        wanted = repo.stock_keys(tenant_id, offer_id)
        if member_id:
            wanted += [
                members_db.key(tenant_id, member_id),
                offers_repo.member_offer_key(tenant_id, member_id, offer_id),
            ]
        found = operation.read(wanted)
        counters = found[: len(repo.stock_keys(tenant_id, offer_id))]
        member, state = found[len(counters) :] if member_id else (None, None)
        offer, shards = offers_repo.read_offer(tenant_id, offer_id)
        offer = _require_current(offer, clock.iso(now))
        if member_id and member is None:
            raise NotFound("The member does not exist.")
        if member is not None:
            Book(tenant_id, member).require_active()  # a suspended or erased member takes no vouchers
        activation, expiration = _validity(offer, body, clock.day(now))
        claims = offer_limits.claim(tenant_id, offer, shards, member_id, state)
        from_pool = repo.stock(counters)["total"] > 0
        code = repo.claim_pooled(tenant_id, offer_id) if from_pool else codes.generate()
        if code is None:
            raise Conflict("out_of_stock", "The offer's voucher codes are all issued.")
        voucher = {
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
        }
        items = [*repo.create(tenant_id, voucher, from_pool=from_pool), *claims]
        if member is not None:
            items.append(members_db.unchanged(tenant_id, member))
        return operation.commit(items, public(voucher))

    return run(caller, attempt)


def add_codes(caller: Caller, offer_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Preload up to 1,000 codes into an offer's pool; codes repeated or known to the program are skipped.

    Several transactions, so it runs under a claim of the Idempotency-Key (as reward code uploads do).
    """
    shaped_like_ids = [i for i, code in enumerate(body["codes"]) if codes.looks_like_id(code)]
    if shaped_like_ids:
        raise ValidationFailed(
            details=[
                {"field": f"codes[{i}]", "message": "must not look like a voucher id"} for i in shaped_like_ids[:20]
            ]
        )
    given = [codes.canonical(code) for code in body["codes"]]  # a lower-case copy is the same code
    return claimed(caller, lambda: _add_codes(caller.tenant_id, offer_id, given))


def _add_codes(tenant_id: str, offer_id: str, given: list[str]) -> dict[str, Any]:
    offer = store.get(offers_repo.offer_key(tenant_id, offer_id))
    if offer is None:
        raise NotFound("The offer does not exist.")
    if offer.get("status") == "archived":
        raise Conflict("invalid_state", "An archived offer takes no more voucher codes.")
    distinct = list(dict.fromkeys(given))
    added, skipped = repo.add_codes(tenant_id, offer_id, distinct)
    return {
        "added": added,
        "skipped": skipped + len(given) - len(distinct),
        "stock": repo.read_stock(tenant_id, offer_id),
    }


# --- reads --------------------------------------------------------------------------------------


def _find(tenant_id: str, id_or_code: str) -> dict[str, Any] | None:
    """By id when shaped like one (one GetItem), else by code in any case (one Query); codes never look like ids."""
    if codes.looks_like_id(id_or_code):
        return repo.get(tenant_id, id_or_code)
    return repo.by_code(tenant_id, codes.canonical(id_or_code))


def lookup(tenant_id: str, id_or_code: str) -> dict[str, Any]:
    """The point-of-sale lookup: one read either way; unknown ids and codes get the same 404."""
    found = _find(tenant_id, id_or_code)
    if found is None:
        raise NotFound(_UNKNOWN)
    return public(found)


def get_offer_voucher(tenant_id: str, offer_id: str, voucher_id: str) -> dict[str, Any]:
    found = repo.get(tenant_id, voucher_id)
    if found is None or found["offerId"] != offer_id:
        raise NotFound(_UNKNOWN)
    return public(found)


def list_offer_vouchers(tenant_id: str, offer_id: str, query: dict[str, Any]) -> Page:
    """An offer's vouchers, newest first; `status` is a key condition, so every page is full."""
    query_id = cursor.query_id(f"vouchers:{offer_id}", query)
    items, last = repo.page(
        tenant_id,
        offer_id,
        query.get("status"),
        query.get("limit", 25),
        cursor.decode(tenant_id, query_id, query.get("nextToken")),
    )
    if not items and not query.get("nextToken") and store.get(offers_repo.offer_key(tenant_id, offer_id)) is None:
        raise NotFound("The offer does not exist.")
    return Page([public(item) for item in items], cursor.encode(tenant_id, query_id, last))


# --- moves --------------------------------------------------------------------------------------


def _mover(caller: Caller, id_or_code: str, decide: Any) -> dict[str, Any]:
    """Read the voucher, decide, write it once on condition its status is unchanged.

    By id, the read is the operation's own (one GetItem, batched with the idempotency record). By
    code, the lookup's item serves the first attempt; after a lost race the voucher is re-read by
    id, strongly consistent, so the answer comes from its current state.
    """
    tenant_id = caller.tenant_id
    looked_up = None if codes.looks_like_id(id_or_code) else repo.by_code(tenant_id, codes.canonical(id_or_code))
    if looked_up is None and not codes.looks_like_id(id_or_code):
        raise NotFound(_UNKNOWN)
    voucher_id = looked_up["voucherId"] if looked_up else id_or_code
    fresh = [looked_up] if looked_up else []

    def attempt(operation: Operation) -> dict[str, Any]:
        if fresh:
            operation.read([])  # the Idempotency-Key record, when there is one
            voucher = fresh.pop()
        else:
            (voucher,) = operation.read([repo.voucher_key(tenant_id, voucher_id)])
            if voucher is None:
                raise NotFound(_UNKNOWN)
        changes = decide(voucher, clock.now())
        return operation.commit([repo.move(tenant_id, voucher, changes)], public({**voucher, **changes}), status=200)

    return run(caller, attempt)


def _refuse_unless_acquired(voucher: dict[str, Any]) -> None:
    if voucher["status"] == "redeemed":
        raise Conflict("already_redeemed", "The voucher was redeemed already.")
    if voucher["status"] == "cancelled":
        raise Conflict("voucher_cancelled", "The voucher was cancelled.")


def redeem(caller: Caller, id_or_code: str, body: dict[str, Any]) -> dict[str, Any]:
    """acquired → redeemed, once, inside [activationDate, expirationDate]."""

    def decide(voucher: dict[str, Any], now: Any) -> dict[str, Any]:
        _refuse_unless_acquired(voucher)
        today = clock.day(now)
        if voucher["activationDate"] and today < voucher["activationDate"]:
            raise Conflict("voucher_not_active", f"The voucher can be redeemed from {voucher['activationDate']}.")
        if voucher["expirationDate"] and today > voucher["expirationDate"]:
            raise Conflict("voucher_expired", f"The voucher expired after {voucher['expirationDate']}.")
        return {"status": "redeemed", "redeemedAt": clock.iso(now), "orderId": body.get("orderId")}

    return _mover(caller, id_or_code, decide)


def cancel(caller: Caller, id_or_code: str) -> dict[str, Any]:
    """acquired → cancelled (expired or not); a redeemed voucher stays redeemed (409 already_redeemed)."""

    def decide(voucher: dict[str, Any], now: Any) -> dict[str, Any]:
        _refuse_unless_acquired(voucher)
        return {"status": "cancelled", "cancelledAt": clock.iso(now)}

    return _mover(caller, id_or_code, decide)
