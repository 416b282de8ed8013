"""Targeting (§11): is a member in a segment now, and may a member use something aimed at some segments.

A member is in a segment when its explicit override says so, else when all the segment's rules hold for the
member's current state (precedence: an `exclude` override > an `include` override > the rules; a member has
at most one override per segment, so the two overrides never meet). The rules:

- `tierIds`: the member's current tier (its override, else the earned one) is any of them;
- `minQualified` / `maxQualified`: `balance.qualified` within, both ends inclusive;
- `createdFrom` / `createdTo`: the member's `createdAt` within, both ends inclusive (as the members list filters);
- `tags`: the member carries every one of them (tags are compared in their normal form, lower case).

A rule that is absent (or null) holds for everyone; a segment without rules holds everyone (its overrides
can still exclude some). Everything is read at the moment of the check, by key: the member item (unless the
caller passes the one it read), the segments named and the member's overrides for them, in one BatchGetItem
— never a list of a segment's members, an index or a Scan, so a check costs the same whatever a segment's
size. The segments are read each time, not cached: they come in the same call as the overrides, so a cache
would save read units and not a call, and a segment's change applies at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from loyalty.repository import members as members_db
from loyalty.repository import segments as segments_db
from loyalty.repository import store
from loyalty.services import members, program

INCLUDE, EXCLUDE = "include", "exclude"
RULE_FIELDS = ("tierIds", "minQualified", "maxQualified", "createdFrom", "createdTo", "tags")


def normal_tag(tag: str) -> str:
    """A tag as it is stored and compared: trimmed, lower case."""
    return tag.strip().lower()


def needs_tier(segments: Iterable[Mapping[str, Any]]) -> bool:
    return any((segment.get("rules") or {}).get("tierIds") for segment in segments)


def rules_hold(rules: Mapping[str, Any] | None, member: Mapping[str, Any], tier_id: str | None) -> bool:
    """All the rules hold for the member (whose current tier is `tier_id`): see the module docstring."""
    rules = rules or {}
    qualified = int((member.get("balance") or {}).get("qualified", 0))
    created = member.get("createdAt") or ""
    tags = {normal_tag(tag) for tag in member.get("tags") or []}
    checks: list[Callable[[], bool]] = [
        lambda: not rules.get("tierIds") or tier_id in rules["tierIds"],
        lambda: rules.get("minQualified") is None or qualified >= rules["minQualified"],
        lambda: rules.get("maxQualified") is None or qualified <= rules["maxQualified"],
        lambda: not rules.get("createdFrom") or created >= rules["createdFrom"],
        lambda: not rules.get("createdTo") or created <= rules["createdTo"],
        lambda: {normal_tag(tag) for tag in rules.get("tags") or []} <= tags,
    ]
    return all(check() for check in checks)


def in_segment(
    segment: Mapping[str, Any] | None,
    override: Mapping[str, Any] | None,
    member: Mapping[str, Any],
    tier_id: str | None,
) -> bool:
    """Whether the member is in the segment: an unknown segment holds no one; an override decides; else the rules."""
    if segment is None:
        return False
    if override is not None:
        return bool(override.get("type") == INCLUDE)
    return rules_hold(segment.get("rules"), member, tier_id)


def tier_id_of(tenant_id: str, member: Mapping[str, Any]) -> str | None:
    tier = members.tier_of(program.load(tenant_id), member)  # type: ignore[arg-type]
    return tier["tierId"] if tier else None


def memberships(
    tenant_id: str, member_id: str, segment_ids: Iterable[str], member: Mapping[str, Any] | None = None
) -> dict[str, bool]:
    """For each segment id, whether the member is in it now; one BatchGetItem of the member (unless given),
    the segments and the member's overrides for them. An unknown member is in no segment."""
    wanted = list(dict.fromkeys(segment_ids))
    if not wanted:
        return {}
    keys: list[store.Key[Any]] = [segments_db.key(tenant_id, segment_id) for segment_id in wanted]
    keys += [segments_db.override_key(tenant_id, member_id, segment_id) for segment_id in wanted]
    if member is None:
        keys.append(members_db.key(tenant_id, member_id))
    found = store.get_many(keys)
    segments, overrides = found[: len(wanted)], found[len(wanted) : 2 * len(wanted)]
    if member is None:
        member = found[-1]
    if member is None:
        return dict.fromkeys(wanted, False)
    tier_id = tier_id_of(tenant_id, member) if needs_tier(s for s in segments if s) else None
    return {
        segment_id: in_segment(segment, override, member, tier_id)
        for segment_id, segment, override in zip(wanted, segments, overrides, strict=True)
    }


def eligible(
    tenant_id: str,
    member_id: str,
    segment_ids: Sequence[str],
    excluded_segment_ids: Sequence[str],
    member: Mapping[str, Any] | None = None,
) -> bool:
    """True when `segment_ids` is empty or the member is in at least one of them, and in none of
    `excluded_segment_ids` (an exclusion wins over an inclusion).

    Evaluated now, from the member's current state (tier, qualified points, createdAt, tags) and the explicit
    include/exclude overrides, with one BatchGetItem whatever a segment's size (none when both lists are
    empty). `member` is the stored member item when the caller has already read it (saves a read). Unknown
    segment ids count as "not in" (a deleted or unknown segment never widens an audience).
    """
    if not segment_ids and not excluded_segment_ids:
        return True
    inside = memberships(tenant_id, member_id, [*segment_ids, *excluded_segment_ids], member)
    if any(inside[segment_id] for segment_id in excluded_segment_ids):
        return False
    return not segment_ids or any(inside[segment_id] for segment_id in segment_ids)
