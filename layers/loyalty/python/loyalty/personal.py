"""A member's personal data in answers: the fields that hold it, whose data an answer holds, and its erasure.

An answer may be kept (an Idempotency-Key's replay, 24 h) and a member's name may be copied onto
what the member holds (a voucher's `customerName`): erasing the member erases those copies too
(services.members.erase_member), found through repository.personal.
"""

from __future__ import annotations

from typing import Any

# The member's own personal fields (all erased by DELETE /members/{memberId}), in the order a member shows them.
PROFILE = ("externalId", "firstName", "lastName", "gender", "birthdate", "phone", "cardId", "profileImageUrl")
MEMBER_FIELDS = ("email", *PROFILE)
# Personal data copied next to a memberId elsewhere: the name on a voucher, a challenge response's answer (free
# JSON a member wrote: it may hold anything about the member).
COPIED_FIELDS = ("customerName", "answer")
FIELDS = (*MEMBER_FIELDS, *COPIED_FIELDS)


def _objects(value: Any) -> list[dict[str, Any]]:
    """Every JSON object inside a value (itself included)."""
    if isinstance(value, dict):
        return [value, *(found for inner in value.values() for found in _objects(inner))]
    if isinstance(value, list):
        return [found for inner in value for found in _objects(inner)]
    return []


def owners(value: Any) -> set[str]:
    """The members whose personal data a value holds: every object with a memberId and a personal field set."""
    return {
        str(found["memberId"])
        for found in _objects(value)
        if found.get("memberId") and any(found.get(name) not in (None, "") for name in FIELDS)
    }


def erased(value: Any, member_id: str) -> Any:
    """The value with that member's personal fields set to null (in every object naming the member)."""
    if isinstance(value, list):
        return [erased(inner, member_id) for inner in value]
    if not isinstance(value, dict):
        return value
    mine = value.get("memberId") == member_id
    return {name: None if mine and name in FIELDS else erased(inner, member_id) for name, inner in value.items()}
