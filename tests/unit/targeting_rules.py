"""Segment targeting rules for the offers state machine (issue 25, item 2), each outcome predicted by `Audience`,
a model of eligibility written from the contract (§11), not from services.targeting.

Four segments: `vip` (members tagged vip; its rule moved now and then to need `club` too), `club` (tagged club
and vip), `founders` (enrolled at or before the first member's createdAt: the boundary itself is in) and `banned`
(tagged banned); explicit include/exclude overrides set and removed; member tags set in any case (one tag in its
normal form, lower case). Three published points offers aimed at them: VIPONLY (segmentIds vip), NOTVIP
(excludedSegmentIds vip) and FOUNDERS (segmentIds founders, club; excludedSegmentIds banned). A fourth member,
enrolled a second after the others, is outside `founders`. Activation answers 409 not_eligible exactly when the
model says the member is outside, a redemption the same (the points otherwise, checked as the offers machine
checks them), `GET /members/{id}/offers` lists a targeted offer exactly when the member is inside, and
`GET /members/{id}/segments` holds exactly the model's segments with the model's `matchedBy`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import initialize, rule
from loyalty import clock
from loyalty.models.members import MemberCreate, MemberUpdate
from loyalty.models.offers import MemberOfferQuery, OfferCreate, OfferRedemptionCreate
from loyalty.models.segments import MemberSegmentListQuery, SegmentCreate, SegmentOverridePut, SegmentUpdate
from loyalty.services import members, offer_redemptions, offers, segments

from tests.support.machines import TENANT, MachineHost, caller, valid
from tests.support.offer_model import OK, ModelOffer, Points

TAGS = ("vip", "VIP", "club", "Club", "banned", " vip ")
SEGMENT_RULES: dict[str, dict[str, Any]] = {
    "vip": {"tags": ["vip"]},
    "club": {"tags": ["club", "vip"]},
    "banned": {"tags": ["banned"]},
    # "founders": createdTo the first member's createdAt (set when the machine starts)
}
VIP_RULES = ({"tags": ["vip"]}, {"tags": ["VIP", "club"]})  # what `resegment` moves the vip segment between
TARGETED = [
    {"offerCode": "VIPONLY", "offerAmount": "10", "segmentIds": ["vip"]},
    {"offerCode": "NOTVIP", "offerAmount": "3", "excludedSegmentIds": ["vip"]},
    {"offerCode": "FOUNDERS", "offerAmount": "7", "segmentIds": ["founders", "club"], "excludedSegmentIds": ["banned"]},
]
TARGETED_CODES = [offer["offerCode"] for offer in TARGETED]
MEMBERS = st.sampled_from((0, 0, 1, 2, 3, 3))  # 3: the member enrolled after the founders


@dataclass
class Audience:
    """Segments' rules (tags and createdTo only), overrides, member tags and createdAt; who is in what."""

    rules: dict[str, dict[str, Any]]
    tags: dict[str, set[str]] = field(default_factory=dict)  # member → tags (normal form)
    created: dict[str, str] = field(default_factory=dict)  # member → createdAt
    overrides: dict[tuple[str, str], str] = field(default_factory=dict)  # (member, segment) → include / exclude

    def matched_by(self, member: str, segment: str) -> str | None:
        """'include' (an include override), 'rules' (no override, every rule holds) or None (not in it)."""
        override = self.overrides.get((member, segment))
        if override is not None:
            return "include" if override == "include" else None
        rules = self.rules[segment]
        wanted = {tag.strip().lower() for tag in rules.get("tags") or []}
        if not wanted <= self.tags.get(member, set()):
            return None
        if rules.get("createdTo") and self.created[member] > rules["createdTo"]:
            return None
        return "rules"

    def eligible(self, member: str, offer: dict[str, Any]) -> bool:
        """In no excluded segment, and in one of the aimed ones when there are any."""
        inside = {segment for segment in self.rules if self.matched_by(member, segment)}
        if inside & set(offer.get("excludedSegmentIds", [])):
            return False
        aimed = set(offer.get("segmentIds", []))
        return not aimed or bool(inside & aimed)


class TargetingRules(MachineHost):
    """Mixed into the offers machine (OffersTargetingMachine): its `offer_ids`, `model`, `_expect`, `_check_offer`,
    `_check_points` and `_check_redemption` are the offers machine's."""

    offer_ids: dict[str, str]
    _expect: Any
    _check_offer: Any
    _check_points: Any
    _check_redemption: Any

    @initialize()
    def segments_and_targeted_offers(self) -> None:
        first = members.get_member(TENANT, self.members[0])["createdAt"]
        self.audience = Audience({**SEGMENT_RULES, "founders": {"createdTo": first}})
        for member_id in self.members:
            self.audience.created[member_id] = members.get_member(TENANT, member_id)["createdAt"]
        self.clock.advance(seconds=1)  # the fourth member enrols after the founders' boundary
        late = members.create_member(caller(), valid(MemberCreate, {"email": "late@example.com"}))
        self.members.append(late["memberId"])
        self.audience.created[late["memberId"]] = late["createdAt"]
        self.model.points[late["memberId"]] = Points()
        for segment_id, rules in self.audience.rules.items():
            body = {"segmentId": segment_id, "name": segment_id.title(), "rules": rules}
            segments.create_segment(caller(), valid(SegmentCreate, body))
        for target in TARGETED:
            body = {"name": target["offerCode"].title(), "rewardType": "points", "status": "published", **target}
            self.offer_ids[target["offerCode"]] = offers.create_offer(caller(), valid(OfferCreate, body))["offerId"]
            self.model.offers[target["offerCode"]] = ModelOffer.of(body)
        self.targets = {target["offerCode"]: target for target in TARGETED}

    @rule(m=MEMBERS, tags=st.lists(st.sampled_from(TAGS), max_size=3))
    def tag_member(self, m: int, tags: list[str]) -> None:
        """The member's tags replaced (PATCH tags): kept in their normal form, each once."""
        member_id = self.members[m]
        answer = members.update_member(caller(), member_id, valid(MemberUpdate, {"tags": tags}))
        self.audience.tags[member_id] = {tag.strip().lower() for tag in tags}
        assert sorted(answer["tags"]) == sorted(self.audience.tags[member_id]), (answer["tags"], tags)
        self.succeeded("target_tag")

    @rule(
        m=MEMBERS,
        segment=st.sampled_from(("vip", "vip", "founders", "club", "banned")),
        kind=st.sampled_from(("include", "exclude", None)),
    )
    def override(self, m: int, segment: str, kind: str | None) -> None:
        """An explicit include or exclude override set (replacing the member's), or removed (the rules decide)."""
        member_id = self.members[m]
        if kind is None:
            segments.delete_override(caller(), segment, member_id)
            self.audience.overrides.pop((member_id, segment), None)
        else:
            answer = segments.put_override(caller(), segment, member_id, valid(SegmentOverridePut, {"type": kind}))
            assert (answer["segmentId"], answer["memberId"], answer["type"]) == (segment, member_id, kind), answer
            self.audience.overrides[(member_id, segment)] = kind
        self.succeeded(f"target_{kind or 'unset'}")

    @rule(variant=st.sampled_from(VIP_RULES))
    def resegment(self, variant: dict[str, Any]) -> None:
        """The vip segment's rules changed (PATCH): membership follows at once, no list to rebuild."""
        segments.update_segment(caller(), "vip", valid(SegmentUpdate, {"rules": variant}))
        self.audience.rules["vip"] = variant
        self.succeeded("target_resegment")

    @rule(m=MEMBERS, code=st.sampled_from(TARGETED_CODES))
    def activate_targeted(self, m: int, code: str) -> None:
        """Clip a targeted offer: 409 not_eligible exactly when the model puts the member outside."""
        member_id, offer_id = self.members[m], self.offer_ids[code]
        inside = self.audience.eligible(member_id, self.targets[code])
        answer = self._expect(
            OK if inside else "not_eligible",
            lambda key: offers.activate(caller(key, [member_id, offer_id]), member_id, offer_id),
            None,
            200,
        )
        if answer is not None:
            assert (answer["offerCode"], answer["activated"]) == (code, True), answer
            self.succeeded("target_activate")

    @rule(m=MEMBERS, code=st.sampled_from(TARGETED_CODES))
    def redeem_targeted(self, m: int, code: str) -> None:
        """A checkout of a targeted points offer: the points when the member is inside, else 409 not_eligible."""
        member_id, now = self.members[m], clock.now()
        body = {"teamId": TENANT, "offerCode": code, "memberId": member_id}
        assert self.model.redeem(body, now) == OK  # no dates, limits or minimum: only the audience decides
        inside = self.audience.eligible(member_id, self.targets[code])
        result = self._expect(
            OK if inside else "not_eligible",
            lambda key: offer_redemptions.redeem(caller(key, body), valid(OfferRedemptionCreate, body)),
        )
        if result is not None:
            self._check_redemption(body, result, now)
            self.succeeded("target_redeem")
        self._check_offer(code)
        self._check_points(member_id)

    @rule(m=MEMBERS)
    def member_lists(self, m: int) -> None:
        """GET /members/{id}/offers shows a targeted offer exactly when the member is inside; GET
        /members/{id}/segments holds exactly the model's segments, each with the model's matchedBy."""
        member_id = self.members[m]
        shown = offers.member_offers(TENANT, member_id, valid(MemberOfferQuery, {"limit": 100})).items
        listed = {offer["offerCode"] for offer in shown} & set(TARGETED_CODES)
        wanted = {code for code in TARGETED_CODES if self.audience.eligible(member_id, self.targets[code])}
        assert listed == wanted, (member_id, listed, wanted)
        page = segments.member_segments(TENANT, member_id, valid(MemberSegmentListQuery, {"limit": 100})).items
        matched = {segment["segmentId"]: segment["matchedBy"] for segment in page}
        model = {s: how for s in self.audience.rules if (how := self.audience.matched_by(member_id, s)) is not None}
        assert matched == model, (member_id, matched, model)
        self.succeeded("target_listed", len(listed))
        self.succeeded("target_hidden", len(TARGETED_CODES) - len(listed))
