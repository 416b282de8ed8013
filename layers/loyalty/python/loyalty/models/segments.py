"""Segment shapes (§11): a segment with its rules, the explicit include/exclude override of one member, a
member's segments; and the shared types of targeting (member `tags`, `segmentIds` / `excludedSegmentIds`)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator

from loyalty.jsontext import has_surrogates
from loyalty.models.common import Paging
from loyalty.models.types import (
    CLIENT_ID,
    Id,
    Shape,
    UtcDateTime,
    _field,
    bounded_list,
    checking,
    integer,
    one_of,
    problem,
    text,
    utc_datetime,
)

MAX_TAGS = 50
TAG_MAX = 64
MAX_TARGET_SEGMENTS = 20  # segmentIds / excludedSegmentIds of one offer, reward or challenge
OVERRIDES = ("include", "exclude")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _tag(value: Any) -> str:
    """A tag: a string, trimmed, 1-64 characters, no control characters; kept lower-case (tags are
    case-insensitive: `VIP` and `vip` are one tag)."""
    if not isinstance(value, str):
        raise problem("must be a string")
    tag = value.strip()
    if not 1 <= len(tag) <= TAG_MAX:
        raise problem(f"must be 1 to {TAG_MAX} characters long (surrounding spaces trimmed)")
    if _CONTROL.search(tag) or has_surrogates(tag):
        raise problem("must not contain control characters or invalid Unicode")
    return tag.lower()


Tag = Annotated[
    str,
    _field({"description": "1-64 characters, trimmed; case-insensitive (kept lower-case)", "example": "vip"}),
    checking(_tag),
]


def _distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def tag_list(**schema: Any) -> Any:
    """At most 50 tags; duplicates (after trimming and lower-casing) are kept once, in the order given."""
    return Annotated[bounded_list(Tag, max_items=MAX_TAGS, **schema), AfterValidator(_distinct)]


Tags = tag_list(description="At most 50 tags (1-64 characters each, trimmed, case-insensitive: kept lower-case "
                "and each once) that segment rules match", example=["vip", "newsletter"])  # fmt: skip


def segment_ids(description: str) -> Any:
    """Up to 20 segment ids (client ids, each once) of segments of the program."""
    return bounded_list(
        text(min_len=1, max_len=128, pattern=CLIENT_ID),
        max_items=MAX_TARGET_SEGMENTS,
        description=description,
        example=["gold-members"],
    )


SegmentIds = segment_ids(
    "Only members in at least one of these segments (up to 20, segments of the program); empty = every member"
)
ExcludedSegmentIds = segment_ids(
    "Never members in any of these segments (up to 20, segments of the program); an exclusion wins over segmentIds"
)
SegmentName = text(min_len=1, max_len=200, example="Gold members")
Qualified = integer(minimum=0, maximum=10**12, description="Qualified points (balance.qualified), inclusive")
Override = one_of(*OVERRIDES, description="include: in the segment whatever its rules; exclude: never in it")
MatchedBy = one_of("rules", "include", description="Why the member is in the segment: its rules or an include")


class SegmentRules(Shape):
    """Every rule given must hold (an absent or null rule holds for everyone; no rules: every member)."""

    tierIds: bounded_list(Id, max_items=20, description="The member's current tier is any of these") | None = None
    minQualified: Qualified | None = None
    maxQualified: Qualified | None = None
    createdFrom: utc_datetime(description="Members enrolled at or after this time") | None = None
    createdTo: utc_datetime(description="Members enrolled at or before this time") | None = None
    tags: tag_list(description="The member carries every one of these tags") | None = None


class SegmentUpdate(Shape):
    name: SegmentName = None
    rules: SegmentRules | None = None


class SegmentCreate(Shape):
    segmentId: Id
    name: SegmentName
    rules: SegmentRules | None = None


class Segment(Shape):
    segmentId: Id
    name: SegmentName
    rules: SegmentRules
    createdAt: UtcDateTime
    updatedAt: UtcDateTime


class MemberSegment(Segment):
    matchedBy: MatchedBy


class SegmentListQuery(Paging):
    """The program's segments (at most 100), by segmentId."""


class MemberSegmentListQuery(Paging):
    """The segments the member is in now, by segmentId; a page may hold fewer than limit (follow nextToken)."""


class SegmentOverridePut(Shape):
    type: Override


class SegmentOverride(Shape):
    segmentId: Id
    memberId: text(example="01JD8Y7C2N4P6R8T0V2X4Z6B8D")
    type: Override
    updatedAt: UtcDateTime
