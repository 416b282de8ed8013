"""The ledger checker's challenge part: each approved response has exactly one award, each award made for a response
names an approved response of its member that names it back, a pending or rejected response has none, and each
limit counter counts the responses of its window (a counter forgotten after its window is not checked)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from loyalty.repository import challenges as challenges_db
from loyalty.repository import ledger as ledger_db


def check_challenges(tenant_id: str, member_ids: list[str]) -> list[dict[str, Any]]:
    problems: list[dict[str, Any]] = []
    for member_id in member_ids:
        problems += _member_problems(tenant_id, member_id)
    return problems


def _member_problems(tenant_id: str, member_id: str) -> list[dict[str, Any]]:
    problems: list[dict[str, Any]] = []

    def report(field: str, problem: str) -> None:
        problems.append({"tenantId": tenant_id, "memberId": member_id, "field": field, "problem": problem})

    found, counters = challenges_db.member_state(tenant_id, member_id)
    responses = {r["responseId"]: r for r in found}
    awards: dict[str, list[Mapping[str, Any]]] = {}
    # a member without responses has no challenge award to match (responses are never deleted): its ledger is
    # read only when it has some, so the check costs one Query for most members
    for entry in ledger_db.of_member(tenant_id, member_id).all() if responses else []:
        response_id = entry.get("responseId")
        if response_id:
            awards.setdefault(str(response_id), []).append(entry)
    for response_id, response in responses.items():
        made = awards.pop(response_id, [])
        if response["status"] == "approved":
            named = response.get("transactionId")
            if [e["transactionId"] for e in made] != [named]:
                report("challengeResponses", f"approved response {response_id} names {named}, awards {len(made)}")
            elif made[0]["type"] != "award" or made[0]["status"] != "approved":
                report("challengeResponses", f"response {response_id}'s transaction is not an approved award")
        elif made or response.get("transactionId"):
            report("challengeResponses", f"{response['status']} response {response_id} has an award")
    for response_id in awards:
        report("challengeResponses", f"an award names response {response_id}, which the member does not have")
    counted = Counter((r["challengeId"], r.get("limitWindow")) for r in responses.values() if r.get("limitWindow"))
    for (challenge_id, window), count in counters.items():
        recorded = counted.get((challenge_id, window), 0)
        if count != recorded:
            report("challengeLimits", f"counter of {challenge_id} in {window} is {count}, responses {recorded}")
    return problems
