"""Offers: the offer item with its catalog and live entries, its code guard, and reads with its usage counter.

An offer `T#t#OFFER#<offerId>` / `OFFER` is listed in the catalog (PROGRAM_WIDE `T#t#OFFERS`, by
`<status>#<offerId>`) and, while published, the live list (PER_PARENT `T#t#OFFERS#LIVE`, by
`<endDate>#<offerId>`: ended offers are below the key bound). Its code guard
`T#t#OFFERCODE#<offerCode>` / `GUARD` keeps codes unique per tenant. Its usage counter is
repository/offer_usage.py and its voucher pool repository/vouchers.py, both with shard counts fixed
when the offer is created and stored on it. Reading an offer with its usage is one BatchGetItem; a
catalog or live page is one Query of the offers and one BatchGetItem of their counters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from loyalty.repository import counters, keys, list_shards, offer_usage, store
from loyalty.repository import vouchers as vouchers_db
from loyalty.repository.table import PER_PARENT, PROGRAM_WIDE

if TYPE_CHECKING:
    from loyalty.repository.records import OfferRecord

OFFER = "OFFER"
RULES_VERSION = "rulesVersion"  # on the offer: the version its claim rules last changed in (stamped on its shards)
NO_END = "9999-12-31T23:59:59Z"


def partition(tenant_id: str, offer_id: str) -> str:
    return f"{keys.tenant(tenant_id)}#OFFER#{offer_id}"


def offer_key(tenant_id: str, offer_id: str) -> store.Key[OfferRecord]:
    return store.key(partition(tenant_id, offer_id), OFFER)


def code_guard(tenant_id: str, offer_code: str) -> store.Key:
    """Holds the offerId of the offer with this code: the code is unique per tenant."""
    return store.key(f"{keys.tenant(tenant_id)}#OFFERCODE#{offer_code}", "GUARD")


def usage(tenant_id: str, offer: OfferRecord | None, offer_id: str | None = None) -> counters.ShardedCounter:
    """The offer's usage counter (`offer` None: the default count, for a read that has no offer yet)."""
    oid = offer["offerId"] if offer else offer_id
    assert oid is not None
    return offer_usage.counter(partition(tenant_id, oid), offer)


def catalog(tenant_id: str) -> store.Collection[OfferRecord]:
    return store.Collection(f"{keys.tenant(tenant_id)}#OFFERS", PROGRAM_WIDE)


def live(tenant_id: str) -> store.Collection[OfferRecord]:
    """Published offers only (a sparse index), by endDate."""
    return store.Collection(f"{keys.tenant(tenant_id)}#OFFERS#LIVE", PER_PARENT)


def _index(tenant_id: str, offer: OfferRecord) -> dict[str, str]:
    """Catalog entry (by status then id) and, while published, the live entry (by endDate)."""
    out = store.index_entry(PROGRAM_WIDE, catalog(tenant_id).partition, f"{offer['status']}#{offer['offerId']}")
    if offer["status"] == "published":
        end = f"{offer.get('endDate') or NO_END}#{offer['offerId']}"
        out.update(store.index_entry(PER_PARENT, live(tenant_id).partition, end))
    return out


def new(tenant_id: str, offer: dict[str, Any]) -> OfferRecord:
    """An offer about to be created, with the shard counts of its usage counter and voucher pool: the
    tenant's setting now, fixed from then on."""
    shards = list_shards.counter_shards(tenant_id)
    return cast("OfferRecord", {**offer, offer_usage.SHARDS_ATTRIBUTE: shards, vouchers_db.POOL_SHARDS: shards})


def create_items(tenant_id: str, offer: OfferRecord) -> list[store.TxItem]:
    """The offer, its code guard and its usage shards, all new."""
    offer_id = offer["offerId"]
    return [
        store.put_new({**offer_key(tenant_id, offer_id), **offer, **_index(tenant_id, offer)}),
        store.put_new({**code_guard(tenant_id, offer["offerCode"]), "offerId": offer_id}),
        *offer_usage.initial_items(usage(tenant_id, offer), offer),
    ]


def rules_version(offer: OfferRecord) -> int:
    """The offer version its claim rules were last changed in, as stamped on its usage shards (an offer
    stored without `rulesVersion` had every update stamp its version, so that is it)."""
    return int(offer.get("rulesVersion", offer["version"]))


def update_items(
    tenant_id: str, before: OfferRecord, after: OfferRecord, shards: list[dict[str, Any]], *, rules_changed: bool
) -> list[store.TxItem]:
    """The offer on condition its version is unchanged. When a rule a claim is decided by changed
    (`rules_changed`), its new version is stamped on every usage shard as its rules version (a use
    decided under the old rules can't commit once this has: `offer_usage.take`), with new caps when
    the total limit changed; otherwise no shard is written and the rules version stays."""
    rules = after["version"] if rules_changed else rules_version(before)
    stored = {
        **offer_key(tenant_id, after["offerId"]),
        **store.plain(after),
        RULES_VERSION: rules,
        **_index(tenant_id, after),
    }
    items = [store.put_versioned(stored, before["version"])]
    if not rules_changed:
        return items
    counter = usage(tenant_id, after)
    if before["maxRedemptionsTotal"] == after["maxRedemptionsTotal"]:
        return [*items, *offer_usage.stamp_items(counter, shards, rules)]
    return [*items, *offer_usage.cap_items(counter, shards, after["maxRedemptionsTotal"], rules)]


def take_use(tenant_id: str, offer: OfferRecord, shards: list[dict[str, Any]]) -> store.TxItem:
    """One use of the offer's total: +1 on a shard with room, on condition it still has room."""
    return offer_usage.take(usage(tenant_id, offer), shards, rules_version(offer))


def give_back_use(tenant_id: str, offer: OfferRecord, shards: list[dict[str, Any]]) -> store.TxItem:
    """One use of the offer's total given back (a reversal): -1 on a shard holding one."""
    return offer_usage.give_back(usage(tenant_id, offer), shards, offer["maxRedemptionsTotal"], rules_version(offer))


def missing_shards(tenant_id: str, offer: OfferRecord, shards: list[dict[str, Any]]) -> int:
    """How many of the offer's usage shards were not read back (the checker)."""
    return offer_usage.missing(usage(tenant_id, offer), shards)


def read_offer(tenant_id: str, offer_id: str) -> tuple[OfferRecord | None, list[dict[str, Any]]]:
    """The offer and its usage shards (by shard): one strongly consistent BatchGetItem."""
    return counters.with_entity(offer_key(tenant_id, offer_id), lambda offer: usage(tenant_id, offer, offer_id))


def with_usage(tenant_id: str, offers: list[OfferRecord]) -> list[tuple[OfferRecord, list[dict[str, Any]]]]:
    """Each offer with its usage shards, read by key (one BatchGetItem per 100 counters, eventually
    consistent: the counts on a list page may be a second old; redeeming reads them strongly)."""
    return counters.of_entities(offers, lambda offer: usage(tenant_id, offer))


def offer_id_for_code(tenant_id: str, offer_code: str) -> str | None:
    guard = store.get(code_guard(tenant_id, offer_code))
    return guard["offerId"] if guard else None


def catalog_page(
    tenant_id: str, status: str | None, limit: int, start: dict[str, Any] | None
) -> tuple[list[tuple[OfferRecord, list[dict[str, Any]]]], dict[str, Any] | None]:
    """Offers newest first (by status when given), each with its shards: one Query of gsi2, one BatchGetItem."""
    items, last = catalog(tenant_id).query(
        sort="begins_with(#s, :status)" if status else None,
        values={":status": f"{status}#"} if status else None,
        newest_first=True,
        limit=limit,
        start=start,
    )
    return with_usage(tenant_id, items), last


def live_page(
    tenant_id: str, now: str, limit: int, start: dict[str, Any] | None
) -> tuple[list[tuple[OfferRecord, list[dict[str, Any]]]], dict[str, Any] | None]:
    """Published offers that have not ended, soonest ending first, each with its shards: one Query of gsi1,
    one BatchGetItem."""
    items, last = live(tenant_id).query(sort="#s >= :now", values={":now": now}, limit=limit, start=start)
    return with_usage(tenant_id, items), last


def everything(tenant_id: str) -> dict[str, tuple[OfferRecord | None, list[dict[str, Any]]]]:
    """Every offer of the tenant with its usage shards, by offerId (the checker's read)."""
    offers = catalog(tenant_id).all(limit=500)
    return {offer["offerId"]: (offer, shards) for offer, shards in with_usage(tenant_id, offers)}
