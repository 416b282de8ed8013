"""Voucher items, per-tenant code guards, an offer's voucher-code pool and index attributes (their only spelling).

- voucher `T#t#VOUCHER#<voucherId>` / `VOUCHER`, listed in two write-sharded lists of its offer
  (the tenant's "vouchers" shards by a hash of its member, or of the voucher itself when it has none,
  so a popular offer's issues and moves spread over that many partitions per list and a member's
  vouchers stay in one):
  gsi1 `T#t#VOUCHERS#<offerId>#S<k>` / `<status>#<voucherId>` (by status: a key condition per shard)
  and gsi2 `T#t#VOUCHERS#<offerId>#S<k>` / `<voucherId>` (all of them, by issue time);
  gsi3 `T#t#VCODE#<code>` / `VOUCHER` (lookup by code, one partition per code).
- code guard `T#t#VCODE#<code>` / `GUARD`: one per code the program knows, pooled or issued, never
  deleted; it makes a code unique per tenant and says which voucher holds it (`voucherId`, absent
  while the code waits in a pool). gsi2 `T#t#VCODES#<offerId>#S<k>` / `<code>` (sharded by the
  code) lets the checker walk them.
- the offer's code pool: a CodePool over `T#t#VPOOL#<offerId>` (see repository/pools.py).
A page of an offer's vouchers is a scatter-gather over the shards (see repository/sharded.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from loyalty.repository import counters, keys, list_shards, personal, sharded, store, wallet
from loyalty.repository.pools import CodePool
from loyalty.repository.table import LOOKUP, PER_PARENT, PROGRAM_WIDE

if TYPE_CHECKING:
    from loyalty.repository.records import OfferRecord, VoucherRecord

POOL_SHARDS = "poolShards"  # on the offer: its voucher pool's shard count, fixed when the offer is created


def _tenant(tenant_id: str) -> str:
    return keys.tenant(tenant_id)


def voucher_key(tenant_id: str, voucher_id: str) -> store.Key[VoucherRecord]:
    return store.key(f"{_tenant(tenant_id)}#VOUCHER#{voucher_id}", "VOUCHER")


def guard_key(tenant_id: str, code: str) -> store.Key:
    return store.key(f"{_tenant(tenant_id)}#VCODE#{code}", "GUARD")


def pool(tenant_id: str, offer: OfferRecord) -> CodePool:
    """The offer's voucher-code pool, with the shard count stored on the offer."""
    return CodePool(f"{_tenant(tenant_id)}#VPOOL#{offer['offerId']}", counters.stored_shards(offer, POOL_SHARDS))


def _owner(voucher: VoucherRecord) -> str:
    """What a voucher's list entries are sharded by: its member, else (a named customer) the voucher."""
    return str(voucher.get("memberId") or voucher["voucherId"])


def by_status(tenant_id: str, offer_id: str) -> sharded.ShardedCollection[VoucherRecord]:
    """An offer's vouchers by `<status>#<voucherId>`, write-sharded."""
    return list_shards.collection(
        tenant_id,
        "vouchers",
        f"{_tenant(tenant_id)}#VOUCHERS#{offer_id}",
        PER_PARENT,
        lambda sort: voucher_key(tenant_id, sort.split("#", 1)[1]),
    )


def of_offer(tenant_id: str, offer_id: str) -> sharded.ShardedCollection[VoucherRecord]:
    """Every voucher of an offer by voucherId (a ULID: issue order), write-sharded."""
    return list_shards.collection(
        tenant_id,
        "vouchers",
        f"{_tenant(tenant_id)}#VOUCHERS#{offer_id}",
        PROGRAM_WIDE,
        lambda voucher_id: voucher_key(tenant_id, voucher_id),
    )


def guards_of_offer(tenant_id: str, offer_id: str) -> sharded.ShardedCollection:
    """The code guards of an offer's codes, write-sharded by the code (the checker's walk)."""
    return list_shards.collection(
        tenant_id,
        "vouchers",
        f"{_tenant(tenant_id)}#VCODES#{offer_id}",
        PROGRAM_WIDE,
        lambda code: guard_key(tenant_id, code),
    )


def _index_attributes(tenant_id: str, voucher: VoucherRecord) -> dict[str, str]:
    offer_id, voucher_id, owner = voucher["offerId"], voucher["voucherId"], _owner(voucher)
    return {
        **by_status(tenant_id, offer_id).entry(owner, f"{voucher['status']}#{voucher_id}"),
        **of_offer(tenant_id, offer_id).entry(owner, voucher_id),
        **store.index_entry(LOOKUP, f"{_tenant(tenant_id)}#VCODE#{voucher['redemptionCode']}", "VOUCHER"),
    }


def _guard(tenant_id: str, code: str, offer_id: str, source: str, **extra: Any) -> dict[str, Any]:
    return {
        **guard_key(tenant_id, code),
        "code": code,
        "offerId": offer_id,
        "source": source,
        **guards_of_offer(tenant_id, offer_id).entry(code, code),
        **extra,
    }


# --- reads --------------------------------------------------------------------------------------


def get(tenant_id: str, voucher_id: str) -> VoucherRecord | None:
    """One voucher by id: one strongly consistent GetItem."""
    return store.get(voucher_key(tenant_id, voucher_id))


def by_code(tenant_id: str, code: str) -> VoucherRecord | None:
    """One voucher by its exact code: the code's guard (it names the voucher holding the code), then
    the voucher by key, both strongly consistent. Not gsi3: an index may lag a write on AWS, and a
    till redeems a voucher the moment it is issued (docs/data-model.md, "Consistency")."""
    guard = store.get(guard_key(tenant_id, code))
    return get(tenant_id, guard["voucherId"]) if guard and guard.get("voucherId") else None


def page(
    tenant_id: str, offer_id: str, status: str | None, limit: int, start: dict[str, Any] | None
) -> tuple[list[VoucherRecord], dict[str, Any] | None]:
    """An offer's vouchers, newest first, a scatter-gather of its shards: by status a key condition
    on each shard of gsi1 (a page's entries share the status prefix, so they merge by voucherId),
    else all of them from gsi2. The positions returned are each shard's.

    The status index lags a write on AWS (right after a redeem it may still hold the `acquired` copy), so a
    status page shows each voucher as the table holds it (one BatchGetItem, strongly consistent) and leaves
    out one that has left the status: the page may then be shorter than `limit`."""
    if status:
        indexed, last = by_status(tenant_id, offer_id).query(
            sort="begins_with(#s, :status)",
            values={":status": f"{status}#"},
            newest_first=True,
            limit=limit,
            start=start,
        )
        return store.current([voucher_key(tenant_id, v["voucherId"]) for v in indexed], "status", status), last
    return of_offer(tenant_id, offer_id).query(newest_first=True, limit=limit, start=start)


def claim_pooled(tenant_id: str, offer: OfferRecord) -> str | None:
    """A code still waiting in the offer's pool (None when the pool is empty)."""
    return pool(tenant_id, offer).claim()


# --- writes (transaction items) -----------------------------------------------------------------


def create(tenant_id: str, offer: OfferRecord, voucher: VoucherRecord, *, from_pool: bool) -> list[store.TxItem]:
    """Put a new voucher and bind its code to it: a pooled code leaves the pool, a generated one gets its guard.

    A generated code that exists already (in any pool or voucher of the tenant) fails the guard's
    condition, so a collision cancels the transaction instead of giving one code to two vouchers.
    """
    code, offer_id, voucher_id = voucher["redemptionCode"], voucher["offerId"], voucher["voucherId"]
    items = [store.put_new({**voucher_key(tenant_id, voucher_id), **voucher, **_index_attributes(tenant_id, voucher)})]
    member_id = voucher.get("memberId")
    if member_id:  # the member's wallet entry (repository/wallet.py)
        items.append(wallet.put(tenant_id, voucher))
    if member_id and voucher.get("customerName"):  # the member's name: erased with the member
        items.append(personal.voucher_copy(tenant_id, member_id, voucher_key(tenant_id, voucher_id)))
    if not from_pool:
        return [*items, store.put_new(_guard(tenant_id, code, offer_id, "generated", voucherId=voucher_id))]
    return [
        *items,
        *pool(tenant_id, offer).take_writes(code),
        store.update(
            guard_key(tenant_id, code),
            set_values={"voucherId": voucher_id},
            condition="attribute_not_exists(voucherId) AND offerId = :offer",
            values={":offer": offer_id},
        ),
    ]


def move(tenant_id: str, voucher: VoucherRecord, changes: dict[str, Any]) -> list[store.TxItem]:
    """Change a voucher on condition its status is still the one read (so a state never goes backwards),
    and its member's wallet entry with it."""
    moved = cast("VoucherRecord", {**voucher, **changes})  # its own attributes changed
    follows = [wallet.follow(tenant_id, moved, changes)] if voucher.get("memberId") else []
    return [
        store.update(
            voucher_key(tenant_id, voucher["voucherId"]),
            set_values={**changes, **_index_attributes(tenant_id, moved)},
            condition="#st = :st",
            names={"#st": "status"},
            values={":st": voucher["status"]},
        ),
        *follows,
    ]


def add_codes(
    tenant_id: str, offer: OfferRecord, codes: list[str], skipped_codes: list[str] | None = None
) -> tuple[int, int]:
    """Add distinct codes to an offer's pool; a code the tenant knows already (anywhere) is skipped.

    Returns (added, skipped). Each code is its pool entry and its guard, both conditioned on being new.
    """
    offer_id = offer["offerId"]
    return pool(tenant_id, offer).add_codes(
        codes, lambda code: [store.put_new(_guard(tenant_id, code, offer_id, "pool"))], skipped_codes
    )


def read_stock(tenant_id: str, offer: OfferRecord) -> dict[str, int]:
    return pool(tenant_id, offer).read_stock()


# --- the checker's walks (operator tooling, never a request path) ------------------------------


def all_vouchers(tenant_id: str, offer_id: str) -> list[VoucherRecord]:
    return of_offer(tenant_id, offer_id).all(limit=500)


def all_guards(tenant_id: str, offer_id: str) -> list[dict[str, Any]]:
    return guards_of_offer(tenant_id, offer_id).all(limit=500)


def pool_entries(tenant_id: str, offer: OfferRecord) -> list[str]:
    return pool(tenant_id, offer).entries()


def status_of_index(item: Mapping[str, Any]) -> str:
    """The status a voucher's gsi1 sort key files it under."""
    return str(item.get("gsi1sk", "")).split("#", 1)[0]
