"""The ledger checker's challenge part: each approved response has exactly one award, each award made for a response
names an approved response that names it back, and each limit counter counts the responses of its window."""

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

    responses = {r["responseId"]: r for r in challenges_db.responses_of(tenant_id, member_id)}
    awards: dict[str, list[Mapping[str, Any]]] = {}
    for entry in ledger_db.of_member(tenant_id, member_id).all():
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
    for (challenge_id, window), count in challenges_db.counters_of(tenant_id, member_id).items():
        if count != counted.get((challenge_id, window), 0):
            found = counted.get((challenge_id, window), 0)
            report("challengeLimits", f"counter of {challenge_id} in {window} is {count}, responses {found}")
    return problems
