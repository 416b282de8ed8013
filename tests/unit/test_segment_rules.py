"""Segment rule evaluation (services.targeting): each rule alone, their conjunction, override precedence, and
the eligibility of a segmentIds / excludedSegmentIds pair — pure functions, no table."""

from __future__ import annotations

from typing import Any

import pytest
from loyalty.repository import segments as segments_db
from loyalty.repository import store
from loyalty.services import targeting

from tests.support.money import TENANT

MEMBER: dict[str, Any] = {
    "memberId": "m1",
    "balance": {"qualified": 500},
    "createdAt": "2026-03-01T10:00:00Z",
    "tags": ["vip", "newsletter"],
}


@pytest.mark.parametrize(
    ("rules", "holds"),
    [
        ({}, True),
        (None, True),
        ({"tierIds": ["gold", "silver"]}, True),
        ({"tierIds": ["bronze"]}, False),
        ({"tierIds": []}, True),
        ({"minQualified": 500}, True),
        ({"minQualified": 501}, False),
        ({"maxQualified": 500}, True),
        ({"maxQualified": 499}, False),
        ({"minQualified": 100, "maxQualified": 900}, True),
        ({"createdFrom": "2026-03-01T10:00:00Z"}, True),
        ({"createdFrom": "2026-03-01T10:00:01Z"}, False),
        ({"createdTo": "2026-03-01T10:00:00Z"}, True),
        ({"createdTo": "2026-03-01T09:59:59Z"}, False),
        ({"tags": ["vip"]}, True),
        ({"tags": ["VIP", "newsletter"]}, True),
        ({"tags": ["vip", "churned"]}, False),
        ({"tierIds": ["gold"], "minQualified": 400, "tags": ["vip"]}, True),
        ({"tierIds": ["gold"], "minQualified": 600, "tags": ["vip"]}, False),
    ],
)
def test_each_rule_and_their_conjunction(rules, holds):
    assert targeting.rules_hold(rules, MEMBER, "gold") is holds


def test_a_member_without_a_tier_or_tags_meets_no_tier_or_tag_rule():
    bare = {"memberId": "m2", "balance": {"qualified": 0}, "createdAt": "2026-01-01T00:00:00Z"}
    assert targeting.rules_hold({"tierIds": ["gold"]}, bare, None) is False
    assert targeting.rules_hold({"tags": ["vip"]}, bare, None) is False
    assert targeting.rules_hold({"maxQualified": 0}, bare, None) is True


def test_override_precedence_over_rules():
    segment = {"segmentId": "s", "rules": {"tierIds": ["gold"]}}
    assert targeting.in_segment(segment, None, MEMBER, "gold") is True
    assert targeting.in_segment(segment, {"type": "exclude"}, MEMBER, "gold") is False
    assert targeting.in_segment(segment, None, MEMBER, "bronze") is False
    assert targeting.in_segment(segment, {"type": "include"}, MEMBER, "bronze") is True
    assert targeting.in_segment(None, {"type": "include"}, MEMBER, "gold") is False  # unknown segment: no one


def test_needs_tier_only_when_a_segment_has_a_tier_rule():
    assert targeting.needs_tier([{"rules": {"tags": ["a"]}}, {"rules": None}]) is False
    assert targeting.needs_tier([{"rules": {"tierIds": ["gold"]}}]) is True


# --- eligible() on the embedded table: the member, segments and overrides read by key -----------------


@pytest.fixture
def tiered(prog):
    prog.settings(
        tiers=[
            {"tierId": "silver", "name": "Silver", "threshold": 0},
            {"tierId": "gold", "name": "Gold", "threshold": 100},
        ]
    )
    prog.activity("visit", points=100, qualifiedPoints=True)
    return prog


def put_segment(segment_id: str, **rules: Any) -> None:
    store.put_plain(segments_db.item(TENANT, {"segmentId": segment_id, "name": segment_id, "rules": rules}))


def put_override(member_id: str, segment_id: str, kind: str) -> None:
    store.put_plain(segments_db.override_item(TENANT, {"memberId": member_id, "segmentId": segment_id, "type": kind}))


@pytest.mark.usefixtures("fresh_table")
def test_eligible_reads_the_current_tier_and_the_overrides(tiered):
    member = tiered.member()
    put_segment("gold", tierIds=["gold"])
    put_segment("all")
    assert targeting.eligible(TENANT, member, [], []) is True
    assert targeting.eligible(TENANT, member, ["gold"], []) is False
    tiered.award(member, "visit")  # now Gold: in the Gold segment at once
    assert targeting.eligible(TENANT, member, ["gold"], []) is True
    assert targeting.eligible(TENANT, member, ["gold"], ["all"]) is False  # an exclusion wins
    assert targeting.eligible(TENANT, member, ["unknown"], []) is False  # unknown: not in
    assert targeting.eligible(TENANT, member, ["gold"], ["unknown"]) is True
    put_override(member, "gold", "exclude")
    assert targeting.eligible(TENANT, member, ["gold"], []) is False
    put_override(member, "gold", "include")
    assert targeting.eligible(TENANT, member, ["gold"], []) is True
    assert targeting.eligible(TENANT, "no-such-member", [], ["all"]) is True  # no lists: no reads at all
    assert targeting.eligible(TENANT, "no-such-member", ["all"], []) is False
