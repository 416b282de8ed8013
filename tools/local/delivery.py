"""The webhook delivery worker of `make serve`: the local counterpart of SQS → functions/deliver_webhooks.

It claims due messages of the durable queue on the table (repository/delivery_queue.py: a claim hides a message
for VISIBILITY seconds, so two workers never attempt it at once) and hands each to the same consumer the deployed
function runs (services/webhook_delivery.handle) on a pool of WORKERS threads: a slow receiver holds at most its
endpoint's slots (webhook_delivery.SLOTS), not the worker. A handled message is deleted; one that raised, or whose
worker was killed, is claimed again once its visibility lapses, so a killed and restarted `make serve` still
delivers everything (a receiver may see an attempt twice: the same webhook-id).
"""

from __future__ import annotations

import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tools.local.background import Polling

WORKERS = 16  # more than one endpoint's slots times 3: three hung receivers leave threads for the rest
# A claimed message is hidden this long: longer than an attempt (its 10 s timeout); a killed worker's come back then
VISIBILITY = float(os.environ.get("LOYALTY_WEBHOOK_VISIBILITY", "30"))
IDLE_SECONDS = 0.05  # the longest pause when nothing was due (a send in this process wakes it at once)


class DeliveryWorker(Polling):
    name = "webhook-delivery"

    def __init__(self, workers: int = WORKERS) -> None:
        super().__init__()
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="webhook-delivery")
        self.workers = workers
        self.in_flight = threading.Semaphore(workers)
        self.handled = 0

    def _one(self, message: dict[str, Any]) -> None:
        from loyalty.repository import delivery_queue
        from loyalty.services import webhook_delivery

        try:
            if not webhook_delivery.handle([message]):
                delivery_queue.ack(message["receipt"])
                self.handled += 1
        except Exception as error:  # the engine stopping: the message is due again after its visibility
            if not self.stopping.is_set():
                print(f"webhook delivery: {type(error).__name__}: {error}", file=sys.stderr)
        finally:
            self.in_flight.release()

    def poll(self) -> int:
        """Claim what is due (as many as there are free threads) and start each; how many were started."""
        from loyalty.repository import delivery_queue

        free = 0
        while self.in_flight.acquire(blocking=False):
            free += 1
        if not free:
            self.stopping.wait(IDLE_SECONDS)
            return 0
        try:
            messages = delivery_queue.receive(free, VISIBILITY)
        except BaseException:
            for _ in range(free):
                self.in_flight.release()
            raise
        for _ in range(free - len(messages)):
            self.in_flight.release()
        for message in messages:
            self.pool.submit(self._one, message)
        return len(messages)

    def idle(self) -> None:
        from loyalty.repository import delivery_queue

        delivery_queue.wait(IDLE_SECONDS)

    def stop(self) -> None:
        super().stop()
        self.pool.shutdown(wait=False, cancel_futures=True)
