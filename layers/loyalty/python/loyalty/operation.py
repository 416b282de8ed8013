"""One state change of one request: optimistic reads, one transaction, Idempotency-Key replay, retries."""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable
from typing import Any

from loyalty import clock
from loyalty.errors import IdempotencyKeyReused, Unavailable
from loyalty.http import Request, Response, render
from loyalty.repository import keys, store

IDEMPOTENCY_WINDOW_SECONDS = 24 * 3600
# Lost races are retried this long (the functions time out at 25 s, API Gateway at 29 s): a hot member
# under a burst of writes still gets every request decided rather than a 503.
RETRY_BUDGET_SECONDS = 20.0


class Replayed(Exception):
    """The request was already served under its Idempotency-Key; here is the first answer."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def fingerprint(request: Request) -> str:
    """What makes two requests "the same": method, path and the body's JSON value."""
    canonical = json.dumps(request.body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).hexdigest()


class Operation:
    """Reads and one commit for a request, with its idempotency record riding in the same transaction."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.tenant_id = request.tenant_id
        self.idem_key = (
            keys.idempotency(request.tenant_id, hashlib.sha256(request.idempotency_key.encode()).hexdigest())
            if request.idempotency_key
            else None
        )
        self._fingerprint = fingerprint(request) if self.idem_key else ""

    def read(self, wanted: list[store.Key]) -> list[dict[str, Any] | None]:
        """The items asked for, in one call that also fetches this request's idempotency record."""
        if self.idem_key is None:
            return store.get_many(wanted) if wanted else []
        found = store.get_many([*wanted, self.idem_key])
        self._replay_if_served(found[-1])
        return found[:-1]

    def _replay_if_served(self, record: dict[str, Any] | None) -> None:
        if record is None or record["expiresAtEpoch"] < int(clock.now().timestamp()):
            return
        if record["fingerprint"] != self._fingerprint:
            raise IdempotencyKeyReused()
        raise Replayed(Response(record["status"], record["body"], {"Idempotent-Replayed": "true"}))

    def commit(self, items: list[store.TxItem], data: dict[str, Any], status: int = 201) -> Response:
        """Write everything in one transaction and answer with `data` in the envelope."""
        response = Response(status, render({"data": data}))
        if self.idem_key is not None:
            items = [*items, self._record(response)]
        store.transact(items)
        return response

    def remember(self, response: Response) -> Response:
        """Record an answer under the Idempotency-Key after writes that needed several transactions."""
        if self.idem_key is not None:
            try:
                store.transact([self._record(response)])
            except store.ConditionFailed:
                pass  # a concurrent duplicate recorded its answer first; the writes were the same
        return response

    def _record(self, response: Response) -> store.TxItem:
        now = int(clock.now().timestamp())
        return store.put(
            {
                **self.idem_key,  # type: ignore[dict-item]
                "fingerprint": self._fingerprint,
                "status": response.status,
                "body": response.body,
                "expiresAtEpoch": now + IDEMPOTENCY_WINDOW_SECONDS,
            },
            condition="attribute_not_exists(pk) OR expiresAtEpoch < :now",
            values={":now": now},
        )


def run(request: Request, attempt: Callable[[Operation], Response]) -> Response:
    """Run `attempt` until its transaction commits, re-reading after every lost race.

    A condition that fails means another request changed what this one read (a version, a
    guard, an idempotency record): the next attempt re-reads and decides again, so a business
    rule is answered from fresh state and a duplicate is answered with the first response.
    """
    deadline = time.monotonic() + RETRY_BUDGET_SECONDS
    tries = 0
    while True:
        operation = Operation(request)
        try:
            return attempt(operation)
        except Replayed as replay:
            return replay.response
        except (store.ConditionFailed, store.Contention):
            tries += 1
            if time.monotonic() > deadline:
                raise Unavailable("The resource is busy; retry with the same Idempotency-Key.") from None
            time.sleep(random.uniform(0, min(0.05, 0.002 * 2 ** min(tries, 5))))
