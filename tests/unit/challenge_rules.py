"""Challenge rules for the ledger state machine (issue 25, item 1), each outcome predicted by
tests/support/ledger_model.py's `Challenges`: a manual challenge limited to one response a UTC day that earns
`visit` on approval, and an immediate one limited to three a week that earns `checkin` (capped at two a day, so
its award, and with it the response, is refused now and then). Responses are approved or rejected, decided ones
again (409 invalid_state); the answer, the award and its transaction must be the model's, and the checker (after
every step) holds each approved response to exactly one award and each limit counter to its window's responses.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import rule
from loyalty.models.challenges import ChallengeCreate, ResponseCreate, ResponseReject
from loyalty.services import challenge_responses, challenges, transactions

from tests.support.ledger_model import Challenges, Expect, cap_window
from tests.support.machines import TENANT, MachineHost, caller, valid

CHALLENGES = {
    "daily-photo": {"activityId": "visit", "approvalMethod": "manual", "maxResponsesPerMember": 1, "interval": "day"},
    "checkin-now": {
        "activityId": "checkin",
        "approvalMethod": "immediate",
        "maxResponsesPerMember": 3,
        "interval": "week",
    },
}


class ChallengeRules(MachineHost):
    """Mixed into the ledger machine: `setup_challenges()` from its __init__ (after its activities exist)."""

    def setup_challenges(self) -> None:
        for challenge_id, rules in CHALLENGES.items():
            body = {
                "challengeId": challenge_id,
                "name": challenge_id.title(),
                "type": "photo",
                "activityId": rules["activityId"],
                "approvalMethod": rules["approvalMethod"],
                "maxResponsesPerMember": rules["maxResponsesPerMember"],
                "maxResponsesPerMemberInterval": rules["interval"],
                "status": "published",
            }
            challenges.create_challenge(caller(), valid(ChallengeCreate, body))
        self.challenge_model = Challenges(CHALLENGES)

    @rule(member=st.sampled_from((0, 0, 1, 2)), challenge=st.sampled_from(tuple(CHALLENGES)), keyed=st.booleans())
    def respond_to_challenge(self, member: int, challenge: str, keyed: bool) -> None:
        """A member responds; an immediate challenge awards with the response, a manual one waits."""
        member_id, now = self.members[member], self.clock.current
        body = {"memberId": member_id, "answer": {"photo": f"https://img.example.com/{member}.jpg"}}
        expect, award = self.challenge_model.respond(self.model, member_id, challenge, now)
        name = "challenge_immediate" if award is not None else "challenge_respond"
        data = self._call(
            name,
            expect,
            lambda key: challenge_responses.respond(caller(key, body), challenge, valid(ResponseCreate, body)),
            self._key(keyed, "challenge"),
        )
        if data is None:
            return
        self.challenge_model.learn(data["responseId"], member_id, challenge, data["status"])
        self._check_challenge_award(data, award)

    @rule(data=st.data(), approve=st.booleans())
    def decide_challenge_response(self, data: st.DataObject, approve: bool) -> None:
        """An admin approves (the award in the same transaction) or rejects a response, pending or decided.
        When none is pending, the first member with room under the manual challenge's daily limit (made
        active) responds first, so there is one to decide (member 0, refused by its limit, if none has)."""
        if not any(status == "pending" for _, _, status in self.challenge_model.responses.values()):
            window = cap_window(CHALLENGES["daily-photo"]["interval"], self.clock.current)
            most = CHALLENGES["daily-photo"]["maxResponsesPerMember"]
            room = [m for m in range(3) if self.challenge_model.counts[(self.members[m], "daily-photo", window)] < most]
            if room:
                self._activate(self.members[room[0]])
            self.respond_to_challenge(room[0] if room else 0, "daily-photo", False)
        if not self.challenge_model.responses:
            return
        pending = [r for r, (_, _, status) in self.challenge_model.responses.items() if status == "pending"]
        pool = pending or list(self.challenge_model.responses)
        response_id = data.draw(st.sampled_from(sorted(pool) + sorted(self.challenge_model.responses)[:1]))
        award: Expect | None = None
        if approve:
            expect, award = self.challenge_model.approve(self.model, response_id, self.clock.current)
            answer = self._call(
                "challenge_approve",
                expect,
                lambda key: challenge_responses.approve(caller(key), response_id),
                None,
                200,
            )
        else:
            expect = self.challenge_model.reject(response_id)
            body = {"reason": "not this time"}
            answer = self._call(
                "challenge_reject",
                expect,
                lambda key: challenge_responses.reject(caller(key, body), response_id, valid(ResponseReject, body)),
                None,
                200,
            )
        if answer is not None:
            self._check_challenge_award(answer, award)

    def challenge_answers_erased(self, member_id: str) -> None:
        """An erasure nulls the member's answers, in a kept replay too: the answers the machine will see replayed."""
        for sent in self.sent:
            answer = sent[4]
            if answer.get("memberId") == member_id and "answer" in answer and "responseId" in answer:
                answer["answer"] = None

    def _check_challenge_award(self, answer: dict[str, Any], award: Expect | None) -> None:
        if award is None:
            assert answer["transactionId"] is None, answer
            return
        entry = transactions.get_transaction(TENANT, answer["transactionId"])
        wrong = {name: (entry.get(name), value) for name, value in award.fields.items() if entry.get(name) != value}
        assert not wrong, ("challenge award (stored, predicted)", wrong)
        assert entry["status"] == "approved" and answer["status"] == "approved", (entry, answer)
