"""An offer's usage counter: how often it was used, kept in shards with caps that add up to its total limit.

The counter is a `counters.ShardedCounter` of the offer's `usageShards` shards (fixed when the offer
is created), `<offer partition>#USES#<k>` / `USES`, each alone in its partition and in no index. A
shard holds `uses`, `shard` and, when the offer has a total limit, `cap` (the caps add up to
`maxRedemptionsTotal`). A use adds 1 to one random shard with room, on condition `uses < cap`, so
the total limit holds exactly while a popular offer's uses spread over the shards' partitions.
The offer's module (repository/offers.py) builds the counter from the offer and reads it with the offer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loyalty.repository import counters, store

if TYPE_CHECKING:
    from loyalty.repository.records import OfferRecord

SHARDS_ATTRIBUTE = "usageShards"  # on the offer: the counter's shard count, fixed when the offer is created
VERSION = "offerVersion"  # on each shard: the offer's rules version (the version its claim rules last changed in)
WORD = "USES"


def counter(base: str, offer: OfferRecord | None) -> counters.ShardedCounter:
    """The usage counter of the offer whose partition is `base` (`offer` None: the default count)."""
    return counters.ShardedCounter(base, WORD, counters.stored_shards(offer, SHARDS_ATTRIBUTE))


def caps(total: int | None, uses: list[int]) -> list[int | None]:
    """Per-shard caps adding up to `total`, none below a shard's uses (the rest is spread evenly); a total
    below the uses made (a limit lowered under them) caps every shard at its uses: no room anywhere."""
    if total is None:
        return [None] * len(uses)
    left = max(0, total - sum(uses))
    return [used + left // len(uses) + (1 if k < left % len(uses) else 0) for k, used in enumerate(uses)]


def initial_items(usage: counters.ShardedCounter, offer: OfferRecord) -> list[store.TxItem]:
    """Every shard, new, at zero uses with its cap."""
    shard_caps = caps(offer["maxRedemptionsTotal"], [0] * usage.shards)

    def initial(shard: int) -> dict[str, Any]:
        cap = shard_caps[shard]
        return {"offerId": offer["offerId"], "shard": shard, "uses": 0, **({} if cap is None else {"cap": cap})}

    return usage.initial(initial)


def stamp_items(usage: counters.ShardedCounter, shards: list[dict[str, Any]], version: int) -> list[store.TxItem]:
    """The offer's new rules version on every shard: a use decided under the old rules can't commit (see `take`)."""
    return [store.update(usage.key(shard["shard"]), set_values={VERSION: version}) for shard in shards]


def cap_items(
    usage: counters.ShardedCounter, shards: list[dict[str, Any]], total: int | None, version: int
) -> list[store.TxItem]:
    """New caps for a new total limit (and the offer's new rules version), computed from the uses read: a use
    in between fails the condition, and the caller re-reads and tries again."""
    return [
        store.update(
            usage.key(shard["shard"]),
            set_values={VERSION: version} if cap is None else {VERSION: version, "cap": cap},
            remove=("cap",) if cap is None else (),
            condition="#uses = :uses",
            names={"#uses": "uses"},
            values={":uses": shard["uses"]},
        )
        for shard, cap in zip(shards, caps(total, [s["uses"] for s in shards]), strict=True)
    ]


def with_room(shards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The shards that may take another use (all of them without a total limit)."""
    return [shard for shard in shards if "cap" not in shard or shard["uses"] < shard["cap"]]


def take(usage: counters.ShardedCounter, shards: list[dict[str, Any]], version: int) -> store.TxItem:
    """+1 on a random shard with room, on condition it still has room at commit and still carries the
    offer's rules `version` the use was decided under (or none: its rules never changed). Once an update
    of the offer's rules has committed, no use decided under the old ones can (issue 21 B8)."""
    room = with_room(shards)
    assert room, "check the total limit before claiming"
    return usage.add(
        usage.pick(room),
        {"uses": 1},
        condition="(attribute_not_exists(#cap) OR #uses < #cap) AND (attribute_not_exists(#ov) OR #ov = :ov)",
        names={"#cap": "cap", "#uses": "uses", "#ov": VERSION},
        values={":ov": version},
    )


def give_back(
    usage: counters.ShardedCounter, shards: list[dict[str, Any]], total: int | None, version: int
) -> store.TxItem:
    """-1 on a random shard holding a use (a reversal), on condition it still holds one and carries the
    offer's rules `version` read. When a limit lowered under the uses left every shard full (caps adding
    up to the uses, more than the limit), the shard's cap goes down with its uses, so the caps keep adding
    up to the larger of the limit and the uses: the use comes back to the total only below the limit."""
    holding = [shard for shard in shards if shard["uses"] > 0]
    if not holding:  # read after a racing reversal committed, the redemption before it: re-read (operation.run)
        raise store.ConditionFailed([])
    lowered = total is not None and caps_total(shards) > total
    return usage.add(
        usage.pick(holding),
        {"uses": -1, **({"cap": -1} if lowered else {})},
        condition="#uses >= :one AND (attribute_not_exists(#ov) OR #ov = :ov)",
        names={"#uses": "uses", "#ov": VERSION},
        values={":one": 1, ":ov": version},
    )


def used(shards: list[dict[str, Any]]) -> int:
    """How often the offer was used: its shards' sum."""
    return counters.ShardedCounter.total(shards, "uses")


def missing(usage: counters.ShardedCounter, shards: list[dict[str, Any]]) -> int:
    """How many shards were not read back (the checker: every shard is created with the offer)."""
    return usage.shards - len(shards)


def caps_total(shards: list[dict[str, Any]]) -> int:
    return counters.ShardedCounter.total(shards, "cap")


def over_cap(shards: list[dict[str, Any]]) -> list[int]:
    """The shards above their cap."""
    return [shard["shard"] for shard in shards if "cap" in shard and shard["uses"] > shard["cap"]]
