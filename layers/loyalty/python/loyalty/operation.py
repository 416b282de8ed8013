"""One state change of one caller: optimistic reads, one transaction, Idempotency-Key replay, retries.

No HTTP here: the edge (loyalty.http) builds the `Caller`, renders what a service returns and
answers a `Replayed` with the stored first answer, byte for byte.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from loyalty import clock, jsontext
from loyalty.caller import Caller, Replayed
from loyalty.errors import IdempotencyKeyReused
from loyalty.repository import idempotency, retry, store

__all__ = ["Caller", "Operation", "Replayed", "run"]

IDEMPOTENCY_WINDOW_SECONDS = 24 * 3600
T = TypeVar("T")


class Operation:
    """Reads and one commit for a caller, with the idempotency record riding in the same transaction."""

    def __init__(self, caller: Caller) -> None:
        self.caller = caller
        self.tenant_id = caller.tenant_id
        self.idem_key = (
            idempotency.key(caller.tenant_id, hashlib.sha256(caller.idempotency_key.encode()).hexdigest())
            if caller.idempotency_key
            else None
        )

    def read(self, wanted: list[store.Key]) -> list[dict[str, Any] | None]:
        """The items asked for, in one call that also fetches this caller's idempotency record."""
        if self.idem_key is None:
            return store.get_many(wanted) if wanted else []
        found = store.get_many([*wanted, self.idem_key])
        self._replay_if_served(found[-1])
        return found[:-1]

    def _replay_if_served(self, record: dict[str, Any] | None) -> None:
        if record is None or record["expiresAtEpoch"] < int(clock.now().timestamp()):
            return
        if record["fingerprint"] != self.caller.fingerprint:
            raise IdempotencyKeyReused()
        raise Replayed(record["status"], record["body"])

    def commit(self, items: list[store.TxItem], data: dict[str, Any], status: int = 201) -> dict[str, Any]:
        """Write everything in one transaction (with the answer recorded under the key); return `data`."""
        if self.idem_key is not None:
            items = [*items, self._record(status, data)]
        store.transact(items)
        return data

    def remember(self, data: dict[str, Any], status: int = 200) -> dict[str, Any]:
        """Record an answer under the Idempotency-Key after writes that needed several transactions."""
        if self.idem_key is not None:
            try:
                store.transact([self._record(status, data)])
            except store.ConditionFailed:
                pass  # a concurrent duplicate recorded its answer first; the writes were the same
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
    return retry.until_decided(lambda: attempt(Operation(caller)))
