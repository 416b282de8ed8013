"""One state change of one caller: optimistic reads, one transaction, Idempotency-Key replay, retries.

No HTTP here: the edge (loyalty.http) builds the `Caller`, renders what a service returns and
answers a `Replayed` with the stored first answer, byte for byte.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

from loyalty import clock, ids, jsontext, personal
from loyalty.caller import Caller, Replayed
from loyalty.errors import Conflict, IdempotencyKeyReused
from loyalty.repository import idempotency, retry, store
from loyalty.repository import personal as personal_db

__all__ = ["Caller", "Operation", "Replayed", "claimed", "replay_first", "run", "update_versioned"]

IDEMPOTENCY_WINDOW_SECONDS = 24 * 3600
# A claim outlives any run that holds it (functions time out at 25 s): a run cut short frees its key then.
CLAIM_SECONDS = 60
T = TypeVar("T")
R = TypeVar("R", bound=Mapping[str, Any])  # the record a key reads (store.Key)


def _record_key(caller: Caller) -> store.Key | None:
    return idempotency.key(caller.tenant_id, caller.idempotency_key) if caller.idempotency_key else None


def _judge(caller: Caller, record: dict[str, Any] | None) -> None:
    """What an unexpired record under the caller's key says: replay it, 422, or 409 while a run holds it."""
    if not idempotency.is_live(record, int(clock.now().timestamp())):
        return
    assert record is not None
    if record["fingerprint"] != caller.fingerprint:
        raise IdempotencyKeyReused()
    if idempotency.is_claim(record):
        raise Conflict(
            "request_in_progress",
            "A request with this Idempotency-Key is still running; retry after the delay given.",
            headers={"Retry-After": "1"},
        )
    raise Replayed(record["status"], record["body"])


def replay_first(caller: Caller) -> None:
    """Serve a replay before anything is judged: the first answer stands whatever changed since.

    The edge calls this before any service, so a retried request never meets a check of current
    settings or state (a cleared saleActivityId, an inactive activity, a spent balance).
    """
    record_key = _record_key(caller)
    if record_key is not None:
        _judge(caller, store.get(record_key))


def claimed(caller: Caller, work: Callable[[], dict[str, Any]], status: int = 200) -> dict[str, Any]:
    """Run an operation that writes in several transactions under the caller's Idempotency-Key.

    The key is claimed before the first write, so a concurrent duplicate replays the first answer
    or gets 409 request_in_progress, and another body gets 422 — never a second run. The answer
    replaces the claim when the run ends; a run that fails gives the claim back (nothing is
    recorded, as for any failed request), and a run cut short frees it after CLAIM_SECONDS.
    """
    record_key = _record_key(caller)
    if record_key is None:
        return work()
    token = ids.ulid()
    try:
        store.transact([idempotency.claim(record_key, caller.fingerprint, token, CLAIM_SECONDS)])
    except store.ConditionFailed:
        _judge(caller, store.get(record_key))
        raise Conflict(  # the holder finished and expired in between: rare, and safe to retry
            "request_in_progress", "Retry this request with the same Idempotency-Key.", headers={"Retry-After": "1"}
        ) from None
    try:
        data = work()
    except BaseException:
        try:
            store.transact([idempotency.release(record_key, token)])
        except store.ConditionFailed:
            pass  # the claim had expired and is someone else's now
        raise
    answer = jsontext.envelope(data)
    try:
        store.transact(
            [
                idempotency.record(record_key, caller.fingerprint, status, answer, IDEMPOTENCY_WINDOW_SECONDS, token),
                *_copies_of_personal_data(caller.tenant_id, record_key, data),
            ]
        )
    except store.ConditionFailed:
        from loyalty.observability import logger

        logger.warning("a run outlived its idempotency claim; its answer was not recorded")
    return data


def _copies_of_personal_data(tenant_id: str, record_key: store.Key, data: Any) -> list[store.TxItem]:
    """A kept answer that holds members' personal data is referenced from each member's partition, in
    the transaction that keeps it, so that erasing the member erases the replay too (loyalty.personal)."""
    lapses = int(clock.now().timestamp()) + IDEMPOTENCY_WINDOW_SECONDS
    return [
        personal_db.replay_copy(tenant_id, member_id, record_key, lapses) for member_id in sorted(personal.owners(data))
    ]


class Operation:
    """Reads and one commit for a caller, with the idempotency record riding in the same transaction.

    `first` is False when `run` tries again after a lost race: what was read before the run is stale then.
    """

    def __init__(self, caller: Caller, first: bool = True) -> None:
        self.caller = caller
        self.tenant_id = caller.tenant_id
        self.idem_key = _record_key(caller)
        self.first = first

    def read(self, wanted: list[store.Key[R]]) -> list[R | None]:
        """The items asked for, in one call that also fetches this caller's idempotency record."""
        if self.idem_key is None:
            return store.get_many(wanted) if wanted else []
        keys: list[store.Key[Any]] = [*wanted, self.idem_key]
        found = store.get_many(keys)
        _judge(self.caller, found[-1])
        return found[:-1]

    def read_existing(self, wanted: store.Key[R], what: str) -> R:
        """One item that must exist (else a 404 naming `what`), read like `read`."""
        (found,) = self.read([wanted])
        return store.required(found, what)

    def commit(self, items: list[store.TxItem], data: dict[str, Any], status: int = 201) -> dict[str, Any]:
        """Write everything in one transaction (with the answer recorded under the key); return `data`."""
        if self.idem_key is not None:
            items = [*items, self._record(status, data), *_copies_of_personal_data(self.tenant_id, self.idem_key, data)]
        store.transact(items)
        return data

    def _record(self, status: int, data: dict[str, Any]) -> store.TxItem:
        assert self.idem_key is not None
        return idempotency.record(
            self.idem_key, self.caller.fingerprint, status, jsontext.envelope(data), IDEMPOTENCY_WINDOW_SECONDS
        )


def run(caller: Caller, attempt: Callable[[Operation], T]) -> T:
    """Run `attempt` until its transaction commits or it decides, re-reading after every lost race.

    A condition that fails means another request changed what this one read (a version, a guard,
    an idempotency record): the next attempt re-reads and decides again, so a business rule is
    answered from fresh state and a duplicate raises `Replayed` with the first answer. A condition
    that fails twice on unchanged state is permanent and answered at once (loyalty.repository.retry).
    """
    tries = itertools.count()
    return retry.until_decided(lambda: attempt(Operation(caller, first=next(tries) == 0)))


def update_versioned(
    caller: Caller,
    wanted: store.Key[R],
    what: str,
    changes: dict[str, Any],
    stored: Callable[[R], dict[str, Any]],
    check: Callable[[R], None] | None = None,
    conditions: Callable[[R, R], list[store.TxItem]] | None = None,
) -> R:
    """Read → 404 → apply `changes` (updatedAt, version + 1) → put if the version is unchanged; the entity.

    `stored` is the entity's item builder (its repository module); `check` may refuse the result;
    `conditions(current, updated)` gives writes and checks of other items that commit with the put
    (a rule across entities is a condition inside the transaction, never a read before it).
    """

    def attempt(operation: Operation) -> R:
        current = operation.read_existing(wanted, what)
        now = clock.iso(clock.now())
        version: int = store.plain(current)["version"]  # every versioned record has one (R names none)
        updated = cast(R, {**store.plain(current), **changes, "updatedAt": now, "version": version + 1})
        if check is not None:
            check(updated)
        others = conditions(current, updated) if conditions is not None else []
        store.transact([store.put_versioned(stored(updated), version), *others])
        return updated

    return run(caller, attempt)
