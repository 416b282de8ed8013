"""Challenges (§11): the catalog item, each response in its member's partition, its id pointer, its lists, the limit
counters.

- Challenge `T#<t>#CHALLENGE#<challengeId>` / CHALLENGE, in the catalog (PROGRAM_WIDE `T#<t>#CHALLENGES`, by
  challengeId). Written by admins only.
- Response `T#<t>#M#<memberId>` / `CHRESP#<responseId>` (a ULID): in its member's own partition, so the member's
  list is one strongly consistent Query of that partition (newest first) and an erasure finds every answer it must
  redact without an index; only that member's requests write it. The response also sits in its challenge's list,
  which every responding member writes: write-sharded by member (list family "challengeResponses", PROGRAM_WIDE
  `T#<t>#CHALLENGE#<challengeId>#RESP#S<k>`, sorted by `<responseId>#<memberId>`), so no index partition takes
  every response of a popular challenge.
- Pointer `T#<t>#CHRESP#<responseId>` / CHRESP → memberId, challengeId: what approve and reject find a response by
  (their path names the response only). Written with the response, never changed.
- Limit counter `T#<t>#M#<memberId>` / `CHCOUNT#<challengeId>#<window>`: the member's responses to a challenge in
  one window of its maxResponsesPerMemberInterval (`window` as services.awards.window names it, `lifetime` for the
  member's lifetime), moved on condition it is still below the limit; a window's counter is forgotten (TTL) after
  the window.
"""

from __future__ import annotations

from typing import Any, TypedDict, cast

from loyalty.repository import keys, list_shards, members, sharded, store
from loyalty.repository.table import PROGRAM_WIDE, SORT_KEY

CHALLENGE, RESPONSE, COUNTER = "CHALLENGE", "CHRESP", "CHCOUNT"
FAMILY = "challengeResponses"


class ResponseRecord(TypedDict):
    """`T#<t>#M#<memberId>` / `CHRESP#<responseId>`. `answer` is the canonical JSON text of the answer object
    (null once the member is erased); `limitWindow` the window its limit counter counted it in (if limited)."""

    responseId: str
    challengeId: str
    memberId: str
    answer: str | None
    status: str
    transactionId: str | None
    reason: str | None
    createdAt: str
    decidedAt: str | None
    limitWindow: str | None


def key(tenant_id: str, challenge_id: str) -> store.Key[dict[str, Any]]:
    return store.key(f"{keys.tenant(tenant_id)}#{CHALLENGE}#{challenge_id}", CHALLENGE)


def item(tenant_id: str, challenge: dict[str, Any]) -> dict[str, Any]:
    out = {**key(tenant_id, challenge["challengeId"]), **store.plain(challenge)}
    out.update(store.index_entry(PROGRAM_WIDE, f"{keys.tenant(tenant_id)}#CHALLENGES", challenge["challengeId"]))
    return out


def catalog(tenant_id: str) -> store.Collection[dict[str, Any]]:
    return store.Collection(f"{keys.tenant(tenant_id)}#CHALLENGES", PROGRAM_WIDE)


def response_key(tenant_id: str, member_id: str, response_id: str) -> store.Key[ResponseRecord]:
    return store.key(members.partition(tenant_id, member_id), f"{RESPONSE}#{response_id}")


def pointer_key(tenant_id: str, response_id: str) -> store.Key[dict[str, Any]]:
    return store.key(f"{keys.tenant(tenant_id)}#{RESPONSE}#{response_id}", RESPONSE)


def of_challenge(tenant_id: str, challenge_id: str) -> sharded.ShardedCollection[ResponseRecord]:
    """A challenge's responses, write-sharded by member, sorted by `<responseId>#<memberId>`."""

    def item_key(sort: str) -> store.Key[Any]:
        response_id, _, member_id = sort.partition("#")
        return response_key(tenant_id, member_id, response_id)

    base = f"{keys.tenant(tenant_id)}#{CHALLENGE}#{challenge_id}#RESP"
    return list_shards.collection(tenant_id, FAMILY, base, PROGRAM_WIDE, item_key)


def of_member(tenant_id: str, member_id: str) -> store.Collection[ResponseRecord]:
    return store.Collection(members.partition(tenant_id, member_id))


def put_new(tenant_id: str, response: ResponseRecord) -> list[store.TxItem]:
    """The response (in its member's partition and its challenge's list) and its pointer, both new."""
    member_id, response_id = response["memberId"], response["responseId"]
    stored = {
        **response_key(tenant_id, member_id, response_id),
        **response,
        **of_challenge(tenant_id, response["challengeId"]).entry(member_id, f"{response_id}#{member_id}"),
    }
    pointer = {
        **pointer_key(tenant_id, response_id),
        "memberId": member_id,
        "challengeId": response["challengeId"],
    }
    return [store.put_new(stored), store.put_new(pointer)]


def decide(tenant_id: str, response: ResponseRecord, changes: dict[str, Any]) -> store.TxItem:
    """Move a response on condition it is still pending: of racing decisions exactly one commits."""
    response_key_ = response_key(tenant_id, response["memberId"], response["responseId"])
    return store.update_if(response_key_, {"status": "pending"}, changes)


def counter_key(tenant_id: str, member_id: str, challenge_id: str, window: str) -> store.Key[dict[str, Any]]:
    return store.key(members.partition(tenant_id, member_id), f"{COUNTER}#{challenge_id}#{window}")


def page(
    collection: store.Collection[ResponseRecord] | sharded.ShardedCollection[ResponseRecord],
    status: str | None,
    limit: int,
    start: dict[str, Any] | None,
) -> tuple[list[ResponseRecord], dict[str, Any] | None]:
    """Newest first: one Query of the member's partition, or a scatter-gather of the challenge's shards."""
    if isinstance(collection, store.Collection):
        return collection.query(
            sort="begins_with(#s, :r)",
            values={":r": f"{RESPONSE}#"},
            equals={"status": status},
            newest_first=True,
            limit=limit,
            start=start,
        )
    return collection.query(equals={"status": status}, newest_first=True, limit=limit, start=start)


def responses_of(tenant_id: str, member_id: str) -> list[ResponseRecord]:
    """Every response of a member (the erasure and the checker), strongly consistent."""
    return of_member(tenant_id, member_id).all(sort="begins_with(#s, :r)", values={":r": f"{RESPONSE}#"})


def member_state(tenant_id: str, member_id: str) -> tuple[list[ResponseRecord], dict[tuple[str, str], int]]:
    """A member's responses and limit counters (by challengeId, window) in one Query of its partition: both sort
    keys start with `CH` (the checker reads them for every member)."""
    partition: store.Collection[dict[str, Any]] = store.Collection(members.partition(tenant_id, member_id))
    responses: list[ResponseRecord] = []
    counters: dict[tuple[str, str], int] = {}
    for found in partition.all(sort="begins_with(#s, :ch)", values={":ch": "CH"}):
        sort = str(found[SORT_KEY])
        if sort.startswith(f"{RESPONSE}#"):
            responses.append(cast("ResponseRecord", found))
        elif sort.startswith(f"{COUNTER}#"):
            challenge_id, _, window = sort.removeprefix(f"{COUNTER}#").rpartition("#")
            counters[(challenge_id, window)] = int(found.get("count", 0))
    return responses, counters


def erase_answer(tenant_id: str, response: ResponseRecord) -> store.TxItem:
    """Null a response's answer (an erasure), on condition the response is there."""
    response_key_ = response_key(tenant_id, response["memberId"], response["responseId"])
    return store.update(response_key_, set_values={"answer": None}, condition=store.PRESENT)


ERASE_CHUNK = 25


def erase_answers(tenant_id: str, member_id: str) -> None:
    """An erasure nulls the answers of the member's responses (an answer may hold personal data), a chunk per
    transaction; called once the member is erased, so no response is added meanwhile (a response commits on
    condition its member is as read, or with the member's own write)."""
    kept = [r for r in responses_of(tenant_id, member_id) if r.get("answer") is not None]
    for start in range(0, len(kept), ERASE_CHUNK):
        store.transact([erase_answer(tenant_id, r) for r in kept[start : start + ERASE_CHUNK]])
