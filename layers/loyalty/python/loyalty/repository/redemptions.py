"""Redemptions: the redemption item, its member and program listings, and a member's count per reward.

Program-wide, redemptions are listed in PROGRAM_WIDE under `T#<t>#RDM#S<k>`, one of the tenant's
"redemptions" shards by a hash of the member, so no index partition takes every redemption of a busy tenant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loyalty.repository import keys, list_shards, members, sharded, store
from loyalty.repository.table import PER_PARENT, PROGRAM_WIDE, SORT_KEY

if TYPE_CHECKING:
    from loyalty.repository.records import RedemptionRecord


def key(tenant_id: str, redemption_id: str) -> store.Key[RedemptionRecord]:
    return store.key(f"{keys.tenant(tenant_id)}#RDM#{redemption_id}", "REDEMPTION")


def count_key(tenant_id: str, member_id: str, reward_id: str) -> store.Key:
    """How many live (not cancelled) redemptions of a reward a member holds."""
    return store.key(members.partition(tenant_id, member_id), f"RWDCOUNT#{reward_id}")


def count(tenant_id: str, member_id: str, reward_id: str, delta: int) -> store.TxItem:
    return store.update(count_key(tenant_id, member_id, reward_id), add={"count": delta})


def window_count_key(tenant_id: str, member_id: str, reward_id: str, window: str) -> store.Key:
    """How many live redemptions of a reward a member made in one UTC window of its maxPerMemberInterval
    (`window` as services.awards.window names it: 2026-05-01, 2026-W18, 2026-05, 2026)."""
    return store.key(members.partition(tenant_id, member_id), f"RWDCOUNT#{reward_id}#{window}")


def counters_of(tenant_id: str, member_id: str) -> dict[tuple[str, str | None], int]:
    """Every reward counter of a member by (rewardId, window; None: lifetime): the ledger checker reads them."""
    collection: store.Collection[dict[str, Any]] = store.Collection(members.partition(tenant_id, member_id))
    found = collection.all(sort="begins_with(#s, :counter)", values={":counter": "RWDCOUNT#"}, limit=500)
    out: dict[tuple[str, str | None], int] = {}
    for counter in found:
        reward_id, _, window = counter[SORT_KEY].removeprefix("RWDCOUNT#").partition("#")
        out[(reward_id, window or None)] = int(counter.get("count", 0))
    return out


def item(tenant_id: str, redemption: RedemptionRecord) -> dict[str, Any]:
    """The stored redemption, listed under its member and program-wide by redemptionId (a ULID)."""
    redemption_id = redemption["redemptionId"]
    out = {**key(tenant_id, redemption_id), **store.plain(redemption)}
    out.update(store.index_entry(PER_PARENT, of_member(tenant_id, redemption["memberId"]).partition, redemption_id))
    out.update(of_program(tenant_id).entry(redemption["memberId"], redemption_id))
    return out


def move_if(tenant_id: str, redemption: RedemptionRecord, changes: dict[str, Any]) -> store.TxItem:
    """Change a redemption on condition its status is still the one read."""
    return store.update_if(key(tenant_id, redemption["redemptionId"]), {"status": redemption["status"]}, changes)


def of_member(tenant_id: str, member_id: str) -> store.Collection[RedemptionRecord]:
    return store.Collection(f"{members.partition(tenant_id, member_id)}#RDM", PER_PARENT)


def of_program(tenant_id: str) -> sharded.ShardedCollection[RedemptionRecord]:
    return list_shards.collection(
        tenant_id,
        "redemptions",
        f"{keys.tenant(tenant_id)}#RDM",
        PROGRAM_WIDE,
        lambda redemption_id: key(tenant_id, redemption_id),
    )
