"""A daemon thread that polls until stopped: the shape of `make serve`'s stream poller and delivery worker."""

from __future__ import annotations

import sys
import threading
from typing import Self


class Polling:
    """Calls `poll()` until `stop()`; after a failure it reports it, calls `recover()` and pauses a second (the
    engine stopping, a failed batch: the work is read again); after a pass that did nothing, `idle()`."""

    name = "poller"

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def poll(self) -> int:
        raise NotImplementedError

    def recover(self) -> None:
        """What to forget after a failed pass (nothing by default)."""

    def idle(self) -> None:
        self.stopping.wait(0.2)

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                done = self.poll()
            except Exception as error:
                if self.stopping.is_set():
                    return
                print(f"{self.name}: {type(error).__name__}: {error}", file=sys.stderr)
                self.recover()
                self.stopping.wait(1.0)
                continue
            if not done:
                self.idle()

    def start(self) -> Self:
        self.thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=5)
