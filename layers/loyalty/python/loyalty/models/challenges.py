"""Challenge and challenge-response shapes (contract section 11; seed 003 Challenges)."""

import json
import math
from typing import Annotated, Any

from pydantic import WithJsonSchema

from loyalty.models.activities import INTERVALS
from loyalty.models.common import Paging
from loyalty.models.types import (
    Id,
    Shape,
    Text,
    UtcDateTime,
    bounded_list,
    checking,
    client_id,
    integer,
    one_of,
    problem,
    text,
    utc_datetime,
)

TYPES = ("text", "choice", "url", "photo", "checkin", "custom")
APPROVAL_METHODS = ("immediate", "manual")
STATUSES = ("draft", "published", "archived")
RESPONSE_STATUSES = ("pending", "approved", "rejected")
ANSWER_MAX_BYTES = 4096  # the answer's canonical JSON (answer_text below), UTF-8
ANSWER_MAX_DEPTH = 8  # the answer object is level 1; each object or array inside it one more

Name = text(min_len=1, max_len=200)
Description = text(max_len=4000, multiline=True)
Kind = one_of(*TYPES, description="What the member is asked for; the API stores any answer object for each")
Approval = one_of(
    *APPROVAL_METHODS,
    description="immediate: a response is approved and earns at once; manual: it waits for an admin. "
    "The challenge's method decides, not its activity's",
)
Status = one_of(*STATUSES, description="Moves forward only: draft → published → archived")
PerMember = integer(minimum=1, maximum=10**6, description="Responses per member in the interval; null = no limit")
PerMemberInterval = one_of(
    *INTERVALS, description="The UTC calendar window maxResponsesPerMember counts in (default lifetime)"
)
Start = utc_datetime(description="Open from (null: at once)")
End = utc_datetime(description="Open until, inclusive (null: no end); after startDate")
SegmentIds = bounded_list(Id, max_items=20, description="Segments the member must be in one of; empty = everyone")
Excluded = bounded_list(Id, max_items=20, description="Segments whose members may not respond")


def answer_text(answer: Any) -> str:
    """The canonical JSON of an answer (sorted keys, no spaces, UTF-8 as is): what is stored and measured."""
    return json.dumps(answer, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def depth(value: Any) -> int:
    """Nesting levels of a JSON value: 0 for a scalar, 1 + the deepest child for an object or array.
    Iterative, so that no value can exhaust the stack."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        current, level = stack.pop()
        children = current.values() if isinstance(current, dict) else current if isinstance(current, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        if level > ANSWER_MAX_DEPTH:
            return level  # deeper than allowed: no need to walk further
        stack.extend((child, level + 1) for child in children)
    return deepest


def _check_answer(value: Any) -> Any:
    if not isinstance(value, dict):
        raise problem("must be a JSON object")
    if depth(value) > ANSWER_MAX_DEPTH:
        raise problem(f"must not be nested more than {ANSWER_MAX_DEPTH} levels deep")
    stack: list[Any] = [value]
    while stack:  # a number the parser made infinite (1e999) is not JSON
        current = stack.pop()
        if isinstance(current, float) and not math.isfinite(current):
            raise problem("must hold finite numbers only")
        if isinstance(current, dict):
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    if len(answer_text(value).encode("utf-8")) > ANSWER_MAX_BYTES:
        raise problem(f"must be at most {ANSWER_MAX_BYTES} bytes as canonical JSON (sorted keys, no spaces, UTF-8)")
    return value


Answer = Annotated[
    dict[str, Any],
    WithJsonSchema(
        {
            "type": "object",
            "description": f"Any JSON object: at most {ANSWER_MAX_BYTES} bytes as canonical JSON (sorted keys, no "
            f"spaces, UTF-8) and {ANSWER_MAX_DEPTH} levels deep (the object itself is level 1)",
            "example": {"text": "I walked 10,000 steps today", "photoUrl": "https://img.example.com/steps.jpg"},
        }
    ),
    checking(_check_answer),
]


class ChallengeUpdate(Shape):
    name: Name = None
    description: Description | None = None
    type: Kind = None
    activityId: client_id(description="The activity whose points an approved response earns (a fixed one)") = None
    approvalMethod: Approval = None
    maxResponsesPerMember: PerMember | None = None
    maxResponsesPerMemberInterval: PerMemberInterval = None
    startDate: Start | None = None
    endDate: End | None = None
    status: Status = None
    segmentIds: SegmentIds = None
    excludedSegmentIds: Excluded = None


class _ChallengeId(Shape):
    challengeId: client_id(description="Unique in the program; can't change later")


class ChallengeCreate(ChallengeUpdate, _ChallengeId):
    name: Name
    type: Kind
    activityId: client_id(description="The activity whose points an approved response earns (a fixed one)")
    status: one_of("draft", "published", description="Default draft") = None


class Challenge(_ChallengeId):
    name: Name
    description: Description | None
    type: Kind
    activityId: Id
    approvalMethod: Approval
    maxResponsesPerMember: PerMember | None
    maxResponsesPerMemberInterval: PerMemberInterval
    startDate: Start | None
    endDate: End | None
    status: one_of(*STATUSES)
    segmentIds: SegmentIds
    excludedSegmentIds: Excluded
    createdAt: UtcDateTime
    updatedAt: UtcDateTime


class ChallengeListQuery(Paging):
    status: one_of(*STATUSES) = None


class ResponseCreate(Shape):
    memberId: client_id(description="The member who responds")
    answer: Answer


class ResponseReject(Shape):
    reason: text(min_len=1, max_len=500, description="Why the response is rejected (shown to the member)")


class ChallengeResponse(Shape):
    responseId: Text
    challengeId: Text
    memberId: Text
    answer: (
        Annotated[
            dict[str, Any],
            WithJsonSchema(
                {
                    "type": "object",
                    "description": "The member's answer as given (null once the member is erased)",
                    "example": {"text": "I walked 10,000 steps today"},
                }
            ),
        ]
        | None
    )
    status: one_of(*RESPONSE_STATUSES, description="pending (manual), approved (points awarded) or rejected")
    transactionId: text(description="The award of an approved response") | None
    reason: text(max_len=500, description="Why a rejected response was rejected") | None
    createdAt: UtcDateTime
    decidedAt: UtcDateTime | None


class ResponseListQuery(Paging):
    status: one_of(*RESPONSE_STATUSES) = None
