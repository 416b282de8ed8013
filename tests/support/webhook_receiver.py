"""A webhook receiver on 127.0.0.1, as an integrator writes one: it verifies each request with the `standardwebhooks`
package and answers from a script (then 204). It can start later on a port chosen now (a receiver that is down)."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def free_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


class Receiver:
    def __init__(self, *, start: bool = True, delay: float = 0.0) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self.secret: str | None = None
        self.script: list[tuple[int, dict[str, str]]] = []
        self.seen: list[dict[str, Any]] = []  # {id, timestamp, event, verified, status, at}
        self.delay = delay
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        if start:
            self.start()

    def start(self) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    Webhook(outer.secret or "").verify(body, headers)
                    verified = True
                except WebhookVerificationError:
                    verified = False
                if outer.delay:
                    time.sleep(outer.delay)
                with outer.lock:
                    status, extra = outer.script.pop(0) if outer.script else (204, {})
                    outer.seen.append(
                        {
                            "id": headers.get("webhook-id"),
                            "event": json.loads(body),
                            "verified": verified,
                            "status": status,
                            "at": time.monotonic(),
                        }
                    )
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def delivered(self) -> list[dict[str, Any]]:
        """The requests answered 2xx."""
        with self.lock:
            return [s for s in self.seen if 200 <= s["status"] < 300]

    def wait_for(self, condition: Any, seconds: float = 60.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition(self):
                return
            time.sleep(0.1)
        raise AssertionError(f"receiver: condition not met in {seconds}s; saw {len(self.seen)} requests")

    def close(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
