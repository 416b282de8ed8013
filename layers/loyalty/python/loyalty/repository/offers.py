"""Offers in the table: keys, index attributes, guards, usage shards and the limit-claiming writes.

An offer (`T#t#OFFER#<offerId>` / `OFFER`) has SHARDS usage counters (`uses`, and `cap` when the
offer has a total limit; the caps add up to `maxRedemptionsTotal`), each alone in its partition
`…#USES#<k>` and in no index. A redemption adds 1 to one random shard with room, on condition
`uses < cap`, so the total limit holds exactly while a popular offer's redemptions spread over
SHARDS partitions and write no index partition. Reading an offer with its counters is one
BatchGetItem; a catalog or live page is one Query of the offers and one BatchGetItem of their
counters. An offer's own redemptions are a write-sharded list (`sharded.ShardedCollection`).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from loyalty.repository import keys, members, sharded, store
from loyalty.repository.table import INDEXES, LOOKUP, PER_PARENT, PROGRAM_WIDE

VERSION = "offerVersion"  # on each usage shard: the offer version its last update stamped
SHARDS = 16  # as the code pools: a popular offer's redemptions at 2,000/s put 125/s on each counter
NO_END = "9999-12-31T23:59:59Z"
_INDEX_NAMES = (*INDEXES[PER_PARENT], *INDEXES[PROGRAM_WIDE])


# --- keys ----------------------------------------------------------------------------------------


def partition(tenant_id: str, offer_id: str) -> str:
    return f"{keys.tenant(tenant_id)}#OFFER#{offer_id}"


def offer_key(tenant_id: str, offer_id: str) -> store.Key:
    return store.key(partition(tenant_id, offer_id), "OFFER")


def shard_key(tenant_id: str, offer_id: str, shard: int) -> store.Key:
    """A usage counter, alone in its partition (a popular offer's redemptions spread over SHARDS of them)."""
    return store.key(f"{partition(tenant_id, offer_id)}#USES#{shard}", "USES")


def shard_keys(tenant_id: str, offer_id: str) -> list[store.Key]:
    return [shard_key(tenant_id, offer_id, k) for k in range(SHARDS)]


def code_guard(tenant_id: str, offer_code: str) -> store.Key:
    """Holds the offerId of the offer with this code: the code is unique per tenant."""
    return store.key(f"{keys.tenant(tenant_id)}#OFFERCODE#{offer_code}", "GUARD")


def member_offer_key(tenant_id: str, member_id: str, offer_id: str) -> store.Key:
    """A member's state for one offer: `activatedAt` while activated, `uses` redemptions made."""
    return store.key(members.partition(tenant_id, member_id), f"OFFER#{offer_id}")


def redemption_key(tenant_id: str, redemption_id: str) -> store.Key:
    return store.key(f"{keys.tenant(tenant_id)}#OREDEEM#{redemption_id}", "OREDEEM")


def order_guard(tenant_id: str, offer_code: str, order_id: str) -> store.Key:
    """An offer is redeemed once per (offerCode, orderId), permanently."""
    return store.key(f"{keys.tenant(tenant_id)}#OREDEEMED#{offer_code}#{order_id}", "GUARD")


def catalog_partition(tenant_id: str) -> str:
    return f"{keys.tenant(tenant_id)}#OFFERS"


def live_partition(tenant_id: str) -> str:
    """Published offers only (a sparse index), by endDate: ended offers are below the key bound."""
    return f"{keys.tenant(tenant_id)}#OFFERS#LIVE"


def member_redemptions_partition(tenant_id: str, member_id: str) -> str:
    return f"{members.partition(tenant_id, member_id)}#OREDEEM"


def program_redemptions(tenant_id: str) -> sharded.ShardedCollection:
    """Every offer redemption of the tenant, write-sharded by member (or, without one, by redemption)."""
    return _redemption_list(tenant_id, f"{keys.tenant(tenant_id)}#OREDEEM", PROGRAM_WIDE)


def offer_redemptions(tenant_id: str, offer_id: str) -> sharded.ShardedCollection:
    """One offer's redemptions (LOOKUP, which projects few attributes), write-sharded like the program's."""
    return _redemption_list(tenant_id, f"{partition(tenant_id, offer_id)}#OREDEEM", LOOKUP)


def _redemption_list(tenant_id: str, base: str, index: str) -> sharded.ShardedCollection:
    """A list of redemptions sorted by `<redeemedAt>#<id>`, each entry naming its redemption item."""
    return sharded.ShardedCollection(base, index, lambda sort: redemption_key(tenant_id, sort.split("#", 1)[1]))


# --- offers and their usage shards ---------------------------------------------------------------


def _index(tenant_id: str, offer: dict[str, Any]) -> dict[str, str]:
    """Catalog entry (by status then id) and, while published, the live entry (by endDate)."""
    out = store.index_entry(PROGRAM_WIDE, catalog_partition(tenant_id), f"{offer['status']}#{offer['offerId']}")
    if offer["status"] == "published":
        live = f"{offer.get('endDate') or NO_END}#{offer['offerId']}"
        out.update(store.index_entry(PER_PARENT, live_partition(tenant_id), live))
    return out


def caps(total: int | None, uses: list[int]) -> list[int | None]:
    """Per-shard caps adding up to `total`, none below a shard's uses (the rest is spread evenly); a total
    below the uses made (a limit lowered under them) caps every shard at its uses: no room anywhere."""
    if total is None:
        return [None] * len(uses)
    left = max(0, total - sum(uses))
    return [used + left // len(uses) + (1 if k < left % len(uses) else 0) for k, used in enumerate(uses)]


def create_items(tenant_id: str, offer: dict[str, Any]) -> list[store.TxItem]:
    """The offer, its code guard and its usage shards, all new."""
    offer_id = offer["offerId"]
    items = [
        store.put_new({**offer_key(tenant_id, offer_id), **offer, **_index(tenant_id, offer)}),
        store.put_new({**code_guard(tenant_id, offer["offerCode"]), "offerId": offer_id}),
    ]
    for shard, cap in enumerate(caps(offer["maxRedemptionsTotal"], [0] * SHARDS)):
        counter = {"offerId": offer_id, "shard": shard, "uses": 0, **({} if cap is None else {"cap": cap})}
        items.append(store.put_new({**shard_key(tenant_id, offer_id, shard), **counter}))
    return items


def update_items(
    tenant_id: str, before: dict[str, Any], after: dict[str, Any], shards: list[dict[str, Any]]
) -> list[store.TxItem]:
    """The offer on condition its version is unchanged, and its new version stamped on every usage shard
    (`offerVersion`): a claim made under the old rules carries the old version as its condition, so it
    can't commit once this has (see `claim_items`). When the total limit changes, the shards' caps too."""
    stored = {k: v for k, v in after.items() if k not in ("pk", "sk", *_INDEX_NAMES)}
    items = [
        store.put_versioned(
            {**offer_key(tenant_id, after["offerId"]), **stored, **_index(tenant_id, after)}, before["version"]
        )
    ]
    same_total = before["maxRedemptionsTotal"] == after["maxRedemptionsTotal"]
    new_caps = caps(after["maxRedemptionsTotal"], [s["uses"] for s in shards])
    for shard, cap in zip(shards, new_caps, strict=True):
        stamp = {VERSION: after["version"]}
        if same_total:
            items.append(store.update(shard_key(tenant_id, after["offerId"], shard["shard"]), set_values=stamp))
            continue
        items.append(  # caps are computed from the uses read: a redemption in between retries this
            store.update(
                shard_key(tenant_id, after["offerId"], shard["shard"]),
                set_values=stamp if cap is None else {**stamp, "cap": cap},
                remove=("cap",) if cap is None else (),
                condition="#uses = :uses",
                names={"#uses": "uses"},
                values={":uses": shard["uses"]},
            )
        )
    return items


def read_offer(tenant_id: str, offer_id: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The offer and its usage shards (by shard): one strongly consistent BatchGetItem."""
    offer, *shards = store.get_many([offer_key(tenant_id, offer_id), *shard_keys(tenant_id, offer_id)])
    return offer, [shard for shard in shards if shard]


def with_shards(tenant_id: str, offers: list[dict[str, Any]]) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each offer with its usage shards, read by key (one BatchGetItem per 100 counters, eventually
    consistent: the counts on a list page may be a second old; redeeming reads them strongly)."""
    groups = [shard_keys(tenant_id, offer["offerId"]) for offer in offers]
    return list(zip(offers, store.get_groups(groups, consistent=False), strict=True))


def offer_id_for_code(tenant_id: str, offer_code: str) -> str | None:
    guard = store.get(code_guard(tenant_id, offer_code))
    return guard["offerId"] if guard else None


def catalog_page(
    tenant_id: str, status: str | None, limit: int, start: dict[str, Any] | None
) -> tuple[list[tuple[dict[str, Any], list[dict[str, Any]]]], dict[str, Any] | None]:
    """Offers newest first (by status when given), each with its shards: one Query of gsi2, one BatchGetItem."""
    items, last = store.Collection(catalog_partition(tenant_id), PROGRAM_WIDE).query(
        sort="begins_with(#s, :status)" if status else None,
        values={":status": f"{status}#"} if status else None,
        newest_first=True,
        limit=limit,
        start=start,
    )
    return with_shards(tenant_id, items), last


def live_page(
    tenant_id: str, now: str, limit: int, start: dict[str, Any] | None
) -> tuple[list[tuple[dict[str, Any], list[dict[str, Any]]]], dict[str, Any] | None]:
    """Published offers that have not ended, soonest ending first, each with its shards: one Query of gsi1,
    one BatchGetItem."""
    items, last = store.Collection(live_partition(tenant_id), PER_PARENT).query(
        sort="#s >= :now",
        values={":now": now},
        limit=limit,
        start=start,
    )
    return with_shards(tenant_id, items), last


def offers_and_member_states(
    tenant_id: str,
    member_id: str,
    offer_ids: list[str],
    *,
    also: Sequence[store.Key] = (),
    with_offers: bool = False,
) -> tuple[list[dict[str, Any] | None], dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """`also`'s items, the offers by id (when asked) and this member's state for each offer: one
    BatchGetItem per 100 keys."""
    wanted = [*also, *(member_offer_key(tenant_id, member_id, offer_id) for offer_id in offer_ids)]
    if with_offers:
        wanted += [offer_key(tenant_id, offer_id) for offer_id in offer_ids]
    found: list[dict[str, Any] | None] = []
    for start in range(0, len(wanted), 100):
        found += store.get_many(wanted[start : start + 100])
    rest = found[len(also) :]
    offers = {item["offerId"]: item for item in rest if item and item["sk"] == "OFFER"}
    states = {item["offerId"]: item for item in rest if item and item["sk"].startswith("OFFER#")}
    return found[: len(also)], offers, states


# --- activation and limits ----------------------------------------------------------------------


def activation_item(
    tenant_id: str, member_id: str, offer_id: str, state: dict[str, Any] | None, activated_at: str | None
) -> store.TxItem:
    """Set or clear `activatedAt` on condition the member's state for the offer is as read."""
    key = member_offer_key(tenant_id, member_id, offer_id)
    fields = {"memberId": member_id, "offerId": offer_id}
    if state is None:
        return store.put_new({**key, **fields, "uses": 0, **({"activatedAt": activated_at} if activated_at else {})})
    return store.update(
        key,
        set_values={"activatedAt": activated_at} if activated_at else None,
        remove=() if activated_at else ("activatedAt",),
        condition="#uses = :uses",
        names={"#uses": "uses"},
        values={":uses": state["uses"]},
    )


def shards_with_room(shards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [shard for shard in shards if "cap" not in shard or shard["uses"] < shard["cap"]]


def claim_items(
    tenant_id: str,
    offer: dict[str, Any],
    shards: list[dict[str, Any]],
    member_id: str | None,
) -> list[store.TxItem]:
    """Take one use of the offer: +1 on a random shard with room (`uses < cap`) and, for a member, +1
    on the member's uses (`uses < maxRedemptionsPerMember`). Both conditions hold at commit or the
    transaction fails as a whole, so neither limit can be passed however many requests race. The shard's
    `offerVersion` must still be the version of the offer read (or unset: never updated since): once an
    update of the offer has committed, no claim decided under its old rules can (issue 21 B8)."""
    room = shards_with_room(shards)
    assert room, "check the total limit before claiming"
    shard = random.choice(room)
    items = [
        store.update(
            shard_key(tenant_id, offer["offerId"], shard["shard"]),
            add={"uses": 1},
            condition="(attribute_not_exists(#cap) OR #uses < #cap) AND (attribute_not_exists(#ov) OR #ov = :ov)",
            names={"#cap": "cap", "#uses": "uses", "#ov": VERSION},
            values={":ov": offer["version"]},
        )
    ]
    if member_id is not None:
        per_member = offer.get("maxRedemptionsPerMember")
        items.append(
            store.update(
                member_offer_key(tenant_id, member_id, offer["offerId"]),
                set_values={"memberId": member_id, "offerId": offer["offerId"]},
                add={"uses": 1},
                condition=None if per_member is None else "attribute_not_exists(#used) OR #used < :max",
                names=None if per_member is None else {"#used": "uses"},
                values=None if per_member is None else {":max": per_member},
            )
        )
    return items


# --- offer redemptions ----------------------------------------------------------------------------


def redemption_items(tenant_id: str, redemption: dict[str, Any], input_hash: str) -> list[store.TxItem]:
    """The redemption with its three collections (member, program, offer) and, with an orderId, its guard."""
    order = f"{redemption['redeemedAt']}#{redemption['id']}"
    owner = redemption.get("memberId") or redemption["id"]  # the shard: a member's redemptions stay together
    item = {
        **redemption_key(tenant_id, redemption["id"]),
        **redemption,
        **program_redemptions(tenant_id).entry(owner, order),
        **offer_redemptions(tenant_id, redemption["offerId"]).entry(owner, order),
    }
    if redemption.get("memberId"):
        item.update(gsi1pk=member_redemptions_partition(tenant_id, redemption["memberId"]), gsi1sk=order)
    items = [store.put_new(item)]
    if redemption.get("orderId"):
        guard = order_guard(tenant_id, redemption["offerCode"], redemption["orderId"])
        items.append(store.put_new({**guard, "redemptionId": redemption["id"], "inputHash": input_hash}))
    return items


def redemptions_page(
    tenant_id: str,
    *,
    member_id: str | None = None,
    offer_id: str | None = None,
    low: str | None,
    high: str | None,
    limit: int,
    start: dict[str, Any] | None,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
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
        return store.Collection(member_redemptions_partition(tenant_id, member_id), PER_PARENT).query(**between)
    if offer_id is not None:
        found, last = offer_redemptions(tenant_id, offer_id).query(**between)
        return store.whole(found), last  # gsi3 projects only what the jobs read
    return program_redemptions(tenant_id).query(**between)


# --- the checker's reads (every item of a collection; never on a request path) --------------------


def everything(tenant_id: str) -> dict[str, tuple[dict[str, Any] | None, list[dict[str, Any]]]]:
    """Every offer of the tenant with its usage shards, by offerId."""
    offers = store.Collection(catalog_partition(tenant_id), PROGRAM_WIDE).all(limit=500)
    return {offer["offerId"]: (offer, shards) for offer, shards in with_shards(tenant_id, offers)}


def all_redemptions(tenant_id: str) -> list[dict[str, Any]]:
    return program_redemptions(tenant_id).all(limit=500)


def member_states(tenant_id: str, member_id: str) -> list[dict[str, Any]]:
    """A member's state items for every offer the member activated or used."""
    return store.Collection(members.partition(tenant_id, member_id)).all(
        sort="begins_with(#s, :prefix)", values={":prefix": "OFFER#"}, limit=500
    )
