"""Offer redemptions at checkout (not reward redemptions: repository/redemptions.py): the item and its lists.

A redemption `T#t#OREDEEM#<id>` / `OREDEEM` is listed, by `<redeemedAt>#<id>`, in its member's list
(PER_PARENT `T#t#MEMBER#<memberId>#OREDEEM`), the program's and its offer's; those two are
write-sharded (`sharded.ShardedCollection`) by member, or by the redemption when it has none. Its
order guard is repository/order_guards.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from loyalty.repository import keys, list_shards, members, sharded, store
from loyalty.repository import offers as offers_db
from loyalty.repository.table import LOOKUP, PER_PARENT, PROGRAM_WIDE

if TYPE_CHECKING:
    from loyalty.repository.records import OfferRedemptionRecord


def key(tenant_id: str, redemption_id: str) -> store.Key[OfferRedemptionRecord]:
    return store.key(f"{keys.tenant(tenant_id)}#OREDEEM#{redemption_id}", "OREDEEM")


def of_member(tenant_id: str, member_id: str) -> store.Collection[OfferRedemptionRecord]:
    return store.Collection(f"{members.partition(tenant_id, member_id)}#OREDEEM", PER_PARENT)


def of_program(tenant_id: str) -> sharded.ShardedCollection[OfferRedemptionRecord]:
    """Every offer redemption of the tenant, write-sharded by member (or, without one, by redemption)."""
    return _list(tenant_id, f"{keys.tenant(tenant_id)}#OREDEEM", PROGRAM_WIDE)


def of_offer(tenant_id: str, offer_id: str) -> sharded.ShardedCollection[dict[str, Any]]:
    """One offer's redemptions (LOOKUP, which projects few attributes), write-sharded like the program's."""
    return _list(tenant_id, f"{offers_db.partition(tenant_id, offer_id)}#OREDEEM", LOOKUP)


def _list(tenant_id: str, base: str, index: str) -> sharded.ShardedCollection[Any]:
    """A list of redemptions sorted by `<redeemedAt>#<id>`, each entry naming its redemption item."""
    return list_shards.collection(
        tenant_id, "offerRedemptions", base, index, lambda sort: key(tenant_id, sort.split("#", 1)[1])
    )


def put(tenant_id: str, redemption: OfferRedemptionRecord) -> store.TxItem:
    """The redemption, new, in its three lists (member, program, offer)."""
    order = f"{redemption['redeemedAt']}#{redemption['id']}"
    owner = redemption.get("memberId") or redemption["id"]  # the shard: a member's redemptions stay together
    item = {
        **key(tenant_id, redemption["id"]),
        **redemption,
        **of_program(tenant_id).entry(owner, order),
        **of_offer(tenant_id, redemption["offerId"]).entry(owner, order),
    }
    member_id = redemption.get("memberId")
    if member_id:
        item.update(store.index_entry(PER_PARENT, of_member(tenant_id, member_id).partition, order))
    return store.put_new(item)


def reverse(tenant_id: str, redemption: OfferRedemptionRecord, changes: dict[str, Any]) -> store.TxItem:
    """The reversal's fields on the redemption (its lists keep it), on condition it is not reversed yet:
    of racing reversals exactly one commits."""
    return store.update(
        key(tenant_id, redemption["id"]),
        set_values=changes,
        condition="attribute_exists(#id) AND (attribute_not_exists(#st) OR #st = :redeemed)",
        names={"#id": "id", "#st": "status"},
        values={":redeemed": "redeemed"},
    )


def page(
    tenant_id: str,
    *,
    member_id: str | None = None,
    offer_id: str | None = None,
    low: str | None,
    high: str | None,
    limit: int,
    start: dict[str, Any] | None,
) -> tuple[list[OfferRedemptionRecord], dict[str, Any] | None]:
    """Newest first by redeemedAt: a member's (gsi1, one Query); an offer's (gsi3, a scatter-gather of
    its shards, then one BatchGetItem of the page) or the program's (gsi2, a scatter-gather)."""
    between: dict[str, Any] = {
        "sort": "#s BETWEEN :low AND :high",
        "values": {":low": low or "0", ":high": f"{high}#~" if high else "~"},
        "newest_first": True,
        "limit": limit,
        "start": start,
    }
    if member_id is not None:
        return of_member(tenant_id, member_id).query(**between)
    if offer_id is not None:
        found, last = of_offer(tenant_id, offer_id).query(**between)
        return cast("list[OfferRedemptionRecord]", store.whole(found)), last  # gsi3 projects only what the jobs read
    return of_program(tenant_id).query(**between)


def everything(tenant_id: str) -> list[OfferRedemptionRecord]:
    """Every offer redemption of the tenant (the checker's read)."""
    return of_program(tenant_id).all(limit=500)
