"""Claims of an Idempotency-Key by multi-transaction operations, and replays served first (issue 10, defects 5, 6)."""

import pytest
from loyalty import jsontext
from loyalty.errors import Conflict, IdempotencyKeyReused, NotFound
from loyalty.http import fingerprint
from loyalty.operation import CLAIM_SECONDS, Caller, Operation, Replayed, claimed, replay_first, run
from loyalty.repository import store

pytestmark = pytest.mark.usefixtures("fresh_table")
PARTS = "T#acme#PART"


def caller(body, key="k-1"):
    return Caller("acme", key, fingerprint("POST", "/parts", body) if key else "")


def write_parts(body, during=None):
    """Two transactions, like a code upload; `during` runs between them (a duplicate arriving)."""
    store.transact([store.put({**store.key(PARTS, f"{body['n']}-a")})])
    if during:
        during()
    store.transact([store.put({**store.key(PARTS, f"{body['n']}-b")})])
    return {"parts": 2, "n": body["n"]}


def test_a_duplicate_during_the_run_is_in_progress_and_another_body_is_422():
    body, other = {"n": 1}, {"n": 2}
    seen = []

    def duplicates():
        for who in (caller(body), caller(other)):
            with pytest.raises((Conflict, IdempotencyKeyReused)) as refused:
                claimed(who, lambda who=who: write_parts({"n": 9}))
            seen.append(getattr(refused.value, "code", None))
        with pytest.raises(Conflict) as single:  # a one-transaction request under the same key waits too
            run(caller(body), lambda op: op.read([store.key(PARTS, "x")]) and op.commit([], {}))
        seen.append(single.value.code)

    first = claimed(caller(body), lambda: write_parts(body, during=duplicates))
    assert seen == ["request_in_progress", "idempotency_key_reused", "request_in_progress"]
    with pytest.raises(Replayed) as replay:
        claimed(caller(body), lambda: write_parts({"n": 9}))
    assert replay.value.body == jsontext.envelope(first)
    assert store.get(store.key(PARTS, "9-a")) is None and store.get(store.key(PARTS, "x")) is None


def test_a_failed_run_gives_its_claim_back_and_a_run_cut_short_frees_it_in_time(frozen):
    def missing():
        raise NotFound("The reward does not exist.")

    with pytest.raises(NotFound):
        claimed(caller({"n": 3}), missing)
    assert claimed(caller({"n": 3}), lambda: write_parts({"n": 3}))["parts"] == 2  # nothing was kept

    def cut_short():
        raise SystemExit  # the function timed out: nothing after this line ran

    record_key = Operation(caller({"n": 4}, key="k-4")).idem_key
    with pytest.raises(SystemExit):
        claimed(caller({"n": 4}, key="k-4"), cut_short)
    store.transact(
        [
            store.put(
                {
                    **record_key,
                    "fingerprint": caller({"n": 4}, key="k-4").fingerprint,
                    "claimToken": "gone",
                    "expiresAtEpoch": int(frozen().timestamp()) + CLAIM_SECONDS,
                }
            )
        ]
    )
    with pytest.raises(Conflict):
        claimed(caller({"n": 4}, key="k-4"), lambda: write_parts({"n": 4}))
    frozen.advance(seconds=CLAIM_SECONDS + 1)
    assert claimed(caller({"n": 4}, key="k-4"), lambda: write_parts({"n": 4}))["parts"] == 2


def test_replay_first_answers_before_anything_is_judged():
    body = {"n": 5}
    claimed(caller(body), lambda: write_parts(body))
    with pytest.raises(Replayed):
        replay_first(caller(body))
    with pytest.raises(IdempotencyKeyReused):
        replay_first(caller({"n": 6}))
    replay_first(caller(body, key="never-used"))  # nothing stored: the request goes on
    replay_first(caller(body, key=None))
