"""The local API: http://127.0.0.1:3000/Production served by the real handlers on an embedded DynamoDB.

The same port also speaks DynamoDB's protocol (for `loyalty` operator commands run in another
process) and serves the generated OpenAPI document and a docs page.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from loyalty.routes import STAGE

from tools.local import embedded_dynamodb
from tools.local.constants import DEMO_TENANT

STAGE_PREFIX = f"/{STAGE}"


class _DynamoEndpoint:
    """DynamoDB's JSON protocol for the embedded table, one call at a time (moto's own responder)."""

    def __init__(self) -> None:
        from moto.moto_server.werkzeug_app import create_backend_app

        self._client = create_backend_app("dynamodb").test_client()

    def __call__(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        with embedded_dynamodb.LOCK:
            answer = self._client.post("/", headers=headers, data=body)
        return (
            answer.status_code,
            {"Content-Type": answer.headers.get("Content-Type", "application/x-amz-json-1.0")},
            answer.data,
        )


class LocalApi(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, port: int, embedded: bool) -> None:
        from tools.local.gateway import Gateway

        super().__init__(("127.0.0.1", port), _Handler)
        self.gateway = Gateway()
        self.embedded = embedded
        self._dynamo: _DynamoEndpoint | None = None
        self._openapi: str | None = None

    def dynamo(self) -> _DynamoEndpoint:
        if self._dynamo is None:
            self._dynamo = _DynamoEndpoint()
        return self._dynamo

    def openapi(self) -> str:
        if self._openapi is None:
            from tools.openapi import build_document

            self._openapi = json.dumps(build_document(), indent=2)
        return self._openapi


class _Handler(BaseHTTPRequestHandler):
    server: LocalApi
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        if os.environ.get("LOYALTY_ACCESS_LOG", "1") == "1":
            sys.stderr.write(f"{self.command} {self.path} -> {args[1] if len(args) > 1 else ''}\n")

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _serve(self) -> None:
        """Answer every request, whatever it holds: a crash here would drop the connection with no reply."""
        try:
            self._route()
        except Exception:  # a bug in the local stack: answered like API Gateway's default 5xx, and shown
            traceback.print_exc()
            self._send(500, {"Content-Type": "application/json"}, b'{"message":"Internal server error"}')

    def _route(self) -> None:
        length_header = self.headers.get("Content-Length") or "0"
        if not length_header.isascii() or not length_header.isdigit():
            self._send(400, {"Content-Type": "application/json"}, b'{"message":"Invalid Content-Length"}')
            self.close_connection = True
            return
        length = int(length_header)
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        headers = {k: v for k, v in self.headers.items()}
        target = self.headers.get("X-Amz-Target", "")
        if target.startswith("DynamoDB_") and self.server.embedded:
            self._send(*self.server.dynamo()(headers, body))
            return
        if self.command == "GET" and path == f"{STAGE_PREFIX}/openapi.json":
            self._send(200, {"Content-Type": "application/json"}, self.server.openapi().encode())
            return
        if self.command == "GET" and path in (f"{STAGE_PREFIX}/docs", f"{STAGE_PREFIX}/docs/"):
            from tools.local.docs_page import DOCS_HTML

            self._send(200, {"Content-Type": "text/html; charset=utf-8"}, DOCS_HTML.encode())
            return
        answer = self.server.gateway.handle(self.command, path, query, headers, body)
        self._send(answer.status, answer.headers, answer.body.encode())

    def __getattr__(self, name: str) -> Any:
        # every method (TRACE, PROPFIND, ...) goes to the gateway, which answers what API Gateway would
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)


def prepare(api_key: str | None) -> tuple[bool, str]:
    """Start the embedded table (unless TABLE_NAME names a real one) and make sure the demo tenant has a key."""
    embedded = not os.environ.get("TABLE_NAME")
    if embedded:
        embedded_dynamodb.start()
    from loyalty.errors import Conflict
    from loyalty.services import tenants

    if not tenants.tenant_exists(DEMO_TENANT):
        tenants.create_tenant(DEMO_TENANT, "Demo program")
    try:
        issued = tenants.issue_key(DEMO_TENANT, ["admin"], label="make serve", key=api_key)
    except Conflict:  # the same LOYALTY_API_KEY against a real table that has it already
        return embedded, api_key or ""
    return embedded, issued["key"]


def serve(port: int | None = None) -> None:
    started = time.monotonic()
    # EMF metrics are for CloudWatch; locally they would only flood the terminal.
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    port = port or int(os.environ.get("PORT", "3000"))
    embedded, key = prepare(os.environ.get("LOYALTY_API_KEY") or None)
    api = LocalApi(port, embedded)
    where = "embedded DynamoDB (in memory)" if embedded else f"table {os.environ['TABLE_NAME']}"
    print(f"Loyalty API on http://127.0.0.1:{port}{STAGE_PREFIX} ({where}), ready in {time.monotonic() - started:.2f}s")
    if not os.environ.get("LOYALTY_API_KEY"):
        print(f"Admin API key for tenant '{DEMO_TENANT}' (shown once): {key}")
    print(f"Try: curl -H 'Authorization: Bearer <key>' http://127.0.0.1:{port}{STAGE_PREFIX}/status", flush=True)
    try:
        api.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        api.server_close()
