"""Importing a file of codes into a code pool (contract §14): `loyalty import codes FILE --reward R | --offer O | …`.

A row is one code (column `code`). Rows go through the very path of the API's upload routes
(`POST /rewards/{id}/codes`, `POST /offers/{id}/voucher-codes`, `POST /promo-codes/{code}/codes`): each code checked
by the route's own model (a voucher code also must not look like a voucher id), made canonical (codes are
case-insensitive), and added by the service's upload with the pool's conditional writes, so the pool's counts
stay exact however often a file is loaded and whoever else uploads at the same time.

Each row's outcome: `created` (added now), `unchanged` (already in this pool, or handed out from it, or repeated
earlier in the rows), `conflict` (the code belongs to another offer's pool or promotion, or is a promotion's own
code: voucher and promo codes are unique in the tenant), `rejected` (not a code the route would take; field and
reason). A target that does not exist or takes no codes (a manual reward, an archived offer, a shared promo code)
fails the whole call as the route would (404 / 409), before any row is written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from loyalty import codes
from loyalty.errors import Conflict
from loyalty.models.promo_codes import PromoCodesAdd
from loyalty.models.rewards import RewardCodesAdd
from loyalty.models.types import _message
from loyalty.models.vouchers import VoucherCodesAdd
from loyalty.repository import offers as offers_db
from loyalty.repository import promo_codes as promos_db
from loyalty.repository import rewards as rewards_db
from loyalty.repository import store
from loyalty.repository import vouchers as vouchers_db
from loyalty.repository.pools import CodePool
from loyalty.services import promo_codes, rewards, vouchers
from loyalty.services.imports import RowOutcome

Kind = Literal["reward", "offer", "promo"]
COLUMN = "code"
COLUMNS = (COLUMN,)


@dataclass(frozen=True)
class _Pool:
    """How one kind of target takes codes: the route's model, the service's upload, and whose a skipped code is."""

    shape: type[BaseModel]
    upload: Callable[[str, str, list[str], list[str]], dict[str, Any]]
    # the skipped codes that belong to another pool or promotion, each with why (None: every skip is this pool's)
    elsewhere: Callable[[str, str, list[str]], dict[str, str]] | None
    id_shaped: bool = False  # codes shaped like a server id are refused (voucher codes: GET /vouchers/{idOrCode})


def _voucher_codes_elsewhere(tenant_id: str, offer_id: str, skipped: list[str]) -> dict[str, str]:
    guards = store.get_many([vouchers_db.guard_key(tenant_id, code) for code in skipped])
    return {
        code: "a voucher holds it" if guard.get("offerId") == offer_id else f"the code is offer {guard['offerId']}'s"
        for code, guard in zip(skipped, guards, strict=True)
        if guard is not None and (guard.get("offerId") != offer_id or guard.get("source") != "pool")
    }


def _promo_codes_elsewhere(tenant_id: str, promo_code: str, skipped: list[str]) -> dict[str, str]:
    target = codes.canonical(promo_code)
    guards = store.get_many([promos_db.guard_key(tenant_id, code) for code in skipped])
    return {
        code: f"the code is known to promotion {guard['promoCode']}"
        if guard.get("promoCode") != target
        else "it is the promotion's own code"
        for code, guard in zip(skipped, guards, strict=True)
        if guard is not None and (guard.get("promoCode") != target or guard.get("kind") != "pool")
    }


_POOLS: dict[str, _Pool] = {
    "reward": _Pool(RewardCodesAdd, rewards._add_codes, None),
    "offer": _Pool(VoucherCodesAdd, vouchers._add_codes, _voucher_codes_elsewhere, id_shaped=True),
    "promo": _Pool(PromoCodesAdd, promo_codes._add_codes, _promo_codes_elsewhere),
}


def target_pool(tenant_id: str, target: tuple[Kind, str]) -> CodePool:
    """The target's code pool; a 404 or 409 (as the upload route answers) when it takes no codes. The CLI asks
    before reading a file, and routes each code to the worker of its pool shard (`shard_key`)."""
    kind, target_id = target
    if kind == "reward":
        reward = store.required(store.get(rewards_db.key(tenant_id, target_id)), "reward")
        if reward["fulfillment"] != "coupon":
            raise Conflict("invalid_state", "Only a coupon reward has a code pool.")
        return rewards_db.code_pool(tenant_id, reward)
    if kind == "offer":
        offer = store.required(store.get(offers_db.offer_key(tenant_id, target_id)), "offer")
        if offer.get("status") == "archived":
            raise Conflict("invalid_state", "An archived offer takes no more voucher codes.")
        return vouchers_db.pool(tenant_id, offer)
    promo = store.required(store.get(promos_db.key(tenant_id, codes.canonical(target_id))), "promo code")
    if not promo["singleUse"]:
        raise Conflict("invalid_state", "Only a singleUse promotion has a code pool.")
    return promos_db.pool(tenant_id, promo)


def shard_key(pool: CodePool) -> Callable[[Mapping[str, Any]], str]:
    """A row's routing key: its code's shard of the pool. Workers given disjoint shards write disjoint stock
    counters, so parallel uploads of one file never contend for a counter (a transaction conflict on AWS)."""
    return lambda row: str(pool.shard_of(code_of(row)))


def code_of(row: Mapping[str, Any]) -> str:
    """A row's code as the pool keeps it (canonical), or '' for a row without one (a routing key for workers)."""
    value = row.get(COLUMN)
    return codes.canonical(value) if isinstance(value, str) else ""


def _checked(pool: _Pool, row: Mapping[str, Any]) -> str | tuple[str | None, str]:
    """The row's canonical code, or (field, reason) when the upload route would refuse it."""
    unknown = [name for name in row if name != COLUMN]
    if unknown:
        return str(unknown[0])[:64], "unknown column"
    if row.get(COLUMN) is None:
        return COLUMN, "is required"
    try:
        pool.shape.model_validate({"codes": [row[COLUMN]]})
    except ValidationError as exc:
        return COLUMN, _message(exc.errors(include_url=False, include_context=False)[0])
    code = str(row[COLUMN])
    if pool.id_shaped and codes.looks_like_id(code):
        return COLUMN, "must not look like a voucher id"
    return codes.canonical(code)


def import_code_rows(
    tenant_id: str, target: tuple[Kind, str], rows: Sequence[tuple[int, Mapping[str, Any]]]
) -> list[RowOutcome]:
    """Add the rows' codes to the target's pool through the upload route's path; one outcome per row, in order.

    Never raises for a row; raises (404 / 409) when the target takes no codes, as the route does.
    """
    kind, target_id = target
    pool = _POOLS[kind]
    outcomes: dict[int, RowOutcome] = {}
    first_line: dict[str, int] = {}  # each distinct code and the row that brings it
    for index, (line, row) in enumerate(rows):
        checked = _checked(pool, row)
        if isinstance(checked, tuple):
            outcomes[index] = RowOutcome(line, "rejected", checked[0], checked[1])
        elif checked in first_line:
            outcomes[index] = RowOutcome(line, "unchanged", COLUMN, f"repeats the code of line {first_line[checked]}")
        else:
            first_line[checked] = line
    if first_line:
        skipped: list[str] = []
        pool.upload(tenant_id, target_id, list(first_line), skipped)
        elsewhere = pool.elsewhere(tenant_id, target_id, skipped) if pool.elsewhere and skipped else {}
        known = set(skipped)
        for index, (line, row) in enumerate(rows):
            if index in outcomes:
                continue
            code = code_of(row)
            if code in elsewhere:
                outcomes[index] = RowOutcome(line, "conflict", COLUMN, elsewhere[code])
            else:
                outcomes[index] = RowOutcome(line, "unchanged" if code in known else "created")
    return [outcomes[index] for index in range(len(rows))]
