"""The local API: http://127.0.0.1:3000/Production served by the real handlers, on DynamoDB Local.

The port speaks only the API (plus the generated OpenAPI document and its reference page); the database
is DynamoDB Local on its own loopback port, which `make serve` starts, keeps in `.local/` and stops.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import sys
import threading
import time
import traceback
from contextlib import AbstractContextManager, nullcontext
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from loyalty.errors import PayloadTooLarge
from loyalty.http import MAX_BODY_BYTES
from loyalty.numerals import is_digits
from loyalty.routes import STAGE

from tools.local.constants import DEMO_TENANT

MAX_UPLOAD_BYTES = 5 * 1024**3  # S3's limit for one PUT, which a presigned upload URL is: refused before a byte is read

STAGE_PREFIX = f"/{STAGE}"


class LocalApi(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, port: int, serialise: bool = False) -> None:
        from tools.local.gateway import Gateway

        super().__init__(("127.0.0.1", port), _Handler)
        self.gateway = Gateway()
        # the embedded moto engine is not thread-safe: without DynamoDB Local, requests run one at a time
        self.serialised: AbstractContextManager[Any] = threading.Lock() if serialise else nullcontext()
        self._openapi: str | None = None
        self._reference: bytes | None = None
        # §14 imports: presigned URLs on this server, files under .local/blobs/, the workflow in a worker thread
        from loyalty.repository import blobs

        from tools.local.imports import ImportWorker
        from tools.local.paths import local_dir

        self.blobs = blobs.serve_locally(local_dir() / "blobs", f"http://127.0.0.1:{self.server_address[1]}")
        self.imports = ImportWorker(self.serialised if serialise else None, pending=local_dir() / "import-runs")

    def server_close(self) -> None:
        if hasattr(self, "imports"):  # (not when the port could not be bound)
            from loyalty.repository import blobs

            self.imports.stop()
            blobs.stop_serving(self.blobs)
        super().server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{STAGE_PREFIX}"

    def openapi(self) -> str:
        if self._openapi is None:
            from tools.openapi import build_document

            self._openapi = json.dumps(build_document(self.url), indent=2)
        return self._openapi

    def reference(self) -> bytes:
        """The API reference page (tools/reference_page.py) for this server's document."""
        if self._reference is None:
            from tools.reference_page import render_page

            self._reference = render_page(json.loads(self.openapi())).encode()
        return self._reference


def resource_path(method: str, raw_path: str) -> str:
    """What API Gateway's access log shows (`$context.resourcePath`): the route's template, never the
    concrete path or its query, which hold voucher codes and emails (no personal data in logs)."""
    from loyalty.routes import find

    path = raw_path.partition("?")[0]
    route = find(method, path[len(STAGE_PREFIX) :])[0] if path.startswith(STAGE_PREFIX + "/") else None
    return f"{STAGE_PREFIX}{route.path}" if route else "(no route)"


MAX_CHUNK_LINE = 1024
LINGER_SECONDS, LINGER_BYTES = 2, 1024 * 1024
_ERROR_CODES = {413: "payload_too_large", 414: "uri_too_long", 431: "headers_too_large"}
_ERROR_MESSAGES = {  # http.server's own words ("Line too long") are not for a client
    413: "The request is too large.",
    414: "The URL is too long (at most 64 KiB).",
    431: "The request's headers are too large (a line at most 64 KiB, at most 100 headers).",
}


class _Refused(Exception):
    """A request refused before its body was read (all of it): answered in the envelope, connection closed."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code = status, code


class _Handler(BaseHTTPRequestHandler):
    server: LocalApi
    protocol_version = "HTTP/1.1"
    # headers and body leave in one write with Nagle off: no 40 ms delayed-ACK stall on kept-alive connections
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        if os.environ.get("LOYALTY_ACCESS_LOG", "1") == "1":
            resource = resource_path(getattr(self, "command", ""), getattr(self, "path", ""))
            sys.stderr.write(f"{self.command} {resource} -> {args[1] if len(args) > 1 else ''}\n")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a malformed request line, an over-long URL or header, an HTTP version it
        does not speak) in the contract's envelope instead of its HTML page; the connection is closed after."""
        self.close_connection = True
        status = code if 400 <= code < 500 else 400  # never a 5xx (505 HTTP version): the request was bad
        if not hasattr(self, "command") or not self.command:  # the request line was not understood
            self.command, self.request_version = "", "HTTP/1.1"
        if not hasattr(self, "path"):
            self.path = ""
        self._error(
            status,
            "validation_error" if status == 400 else _ERROR_CODES.get(status, "bad_request"),
            _ERROR_MESSAGES.get(status) or message or self.responses.get(status, ("The request is not valid.",))[0],
        )

    def _error(self, status: int, code: str, message: str) -> None:
        body = json.dumps({"error": {"code": code, "message": message}}, separators=(",", ":")).encode()
        self._send(status, {"Content-Type": "application/json"}, body)

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.log_request(status)
        reason = self.responses.get(status, ("",))[0]
        lines = [f"{self.protocol_version} {status} {reason}", f"Date: {self.date_time_string()}"]
        lines += [f"{name}: {value}" for name, value in headers.items() if name.lower() != "content-length"]
        if status != 204:  # a 204 has no body and says so by its status alone (RFC 9110 8.6)
            lines.append(f"Content-Length: {len(body)}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head if self.command == "HEAD" else head + body)  # HEAD: the length, not the body

    def _serve(self) -> None:
        """Answer every request, whatever it holds: a crash here would drop the connection with no reply."""
        try:
            self._route()
        except _Refused as refused:  # the body was not (all) read: the connection cannot carry another request
            self.close_connection = True
            self._error(refused.status, refused.code, str(refused))
            self._linger()
        except Exception:  # a bug in the local stack: answered like API Gateway's default 5xx, and shown
            traceback.print_exc()
            self.close_connection = True
            self._send(500, {"Content-Type": "application/json"}, b'{"message":"Internal server error"}')

    def _linger(self) -> None:
        """Close as servers do after refusing an unread body: stop sending, then drop (a bounded part of) what the
        client still sends, so that the close does not reset the connection before the client has read the answer."""
        try:
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(LINGER_SECONDS)
            drained = 0
            while drained < LINGER_BYTES and (chunk := self.rfile.read1(65536)):
                drained += len(chunk)
        except OSError:
            pass

    def _body(self) -> bytes:
        """The request body, by Content-Length or chunked (as API Gateway takes both), never over 64 KiB:
        a longer one is refused without being read."""
        if "Transfer-Encoding" in self.headers:
            # with a Content-Length too, the two could disagree (request smuggling): answer, then close
            self.close_connection = self.close_connection or "Content-Length" in self.headers
            if self.headers["Transfer-Encoding"].strip().lower() != "chunked":
                raise _Refused(400, "validation_error", "Only Transfer-Encoding: chunked is supported.")
            return self._chunked()
        length_header = self._declared_length() or "0"
        if not is_digits(length_header):
            raise _Refused(400, "validation_error", "The Content-Length header must be a number of bytes.")
        if len(length_header) > 10 or int(length_header) > MAX_BODY_BYTES:
            raise _Refused(413, "payload_too_large", PayloadTooLarge.message)
        length = int(length_header)
        return self.rfile.read(length) if length else b""

    def _declared_length(self) -> str | None:
        """The request's Content-Length as sent (None: none); two that disagree are a 400."""
        lengths = {value.strip() for value in self.headers.get_all("Content-Length") or []}
        if len(lengths) > 1:  # two lengths that disagree: which one a proxy in front took is unknown
            raise _Refused(400, "validation_error", "The request has Content-Length headers that disagree.")
        return lengths.pop() if lengths else None

    def _chunked(self) -> bytes:
        body = b""
        while True:
            size_line = self.rfile.readline(MAX_CHUNK_LINE + 1)
            size = size_line.split(b";", 1)[0].strip()
            if len(size_line) > MAX_CHUNK_LINE or not size or any(c not in b"0123456789abcdefABCDEF" for c in size):
                raise _Refused(400, "validation_error", "The chunked request body is malformed.")
            if len(body) + int(size, 16) > MAX_BODY_BYTES:
                raise _Refused(413, "payload_too_large", PayloadTooLarge.message)
            if int(size, 16) == 0:
                break
            body += self.rfile.read(int(size, 16))
            if self.rfile.readline(3) not in (b"\r\n", b"\n"):
                raise _Refused(400, "validation_error", "The chunked request body is malformed.")
        while self.rfile.readline(MAX_CHUNK_LINE + 1) not in (b"\r\n", b"\n", b""):  # trailers, then the end
            pass
        return body

    def _blob(self) -> None:
        """A presigned URL of the local blob store (repository/blobs.DirectoryBlobs), as S3 answers one: PUT an
        upload (which starts its import), GET a report. A bad or expired signature is 403."""
        from urllib.parse import parse_qs, unquote

        from loyalty.repository.blobs import LOCAL_DOWNLOAD_PATH, LOCAL_UPLOAD_PATH
        from loyalty.services.import_jobs import parse_upload_key

        path, _, query = self.path.partition("?")
        upload = path.startswith(LOCAL_UPLOAD_PATH)
        key = unquote(path[len(LOCAL_UPLOAD_PATH if upload else LOCAL_DOWNLOAD_PATH) :])
        given = {name: values[0] for name, values in parse_qs(query).items()}
        store = self.server.blobs
        if (self.command, upload) not in (("PUT", True), ("GET", False)):
            raise _Refused(405, "method_not_allowed", "Only PUT to an upload URL, GET of a report URL.")
        if not store.valid(self.command, key, given.get("expires", ""), given.get("signature", "")):
            raise _Refused(403, "forbidden", "The URL's signature is not valid or it has expired.")
        if upload:
            parse_upload_key(key)
            length = self._declared_length() or ""
            if not is_digits(length):
                raise _Refused(411, "length_required", "An upload needs a Content-Length (S3 takes no chunked PUT).")
            if int(length) > MAX_UPLOAD_BYTES:
                raise _Refused(413, "payload_too_large", "An upload is at most 5 GiB (S3's limit for one PUT).")
            try:
                store.put_stream(key, self.rfile, int(length))
            except ValueError:  # the client stopped sending: nothing is stored, nothing starts
                raise _Refused(400, "validation_error", "The upload ended before its Content-Length.") from None
            self._send(200, {"ETag": '"local"'}, b"")
            self.server.imports.submit(key)
            return
        try:
            data = store.get(key)
        except (OSError, ValueError):
            raise _Refused(404, "not_found", "No such blob.") from None
        self._send(200, {"Content-Type": "text/csv"}, data)

    def _route(self) -> None:
        from loyalty.repository.blobs import LOCAL_DOWNLOAD_PATH, LOCAL_UPLOAD_PATH

        if self.path.startswith((LOCAL_UPLOAD_PATH, LOCAL_DOWNLOAD_PATH)):
            self._blob()
            return
        body = self._body()
        path, _, query = self.path.partition("?")
        if self.command == "GET" and path == f"{STAGE_PREFIX}/openapi.json":
            self._send(200, {"Content-Type": "application/json"}, self.server.openapi().encode())
            return
        if self.command == "GET" and path in (f"{STAGE_PREFIX}/docs", f"{STAGE_PREFIX}/docs/"):
            from tools.reference_page import HEADERS

            self._send(200, HEADERS, self.server.reference())
            return
        headers = {k: v for k, v in self.headers.items()}
        with self.server.serialised:
            answer = self.server.gateway.handle(self.command, path, query, headers, body)
        self._send(answer.status, answer.headers, answer.body.encode())

    def __getattr__(self, name: str) -> Any:
        # every method (TRACE, PROPFIND, ...) goes to the gateway, which answers what API Gateway would;
        # a DynamoDB call (POST / with X-Amz-Target) is a path outside the stage: 403 like API Gateway
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)


SERVE_LABEL = "make serve"
LOCAL_SCHEDULE = "1,2,5,10,30,60"  # the webhook retry delays of `make serve`, seconds (deployed: about 3 days)


def prepare(api_key: str | None) -> str:
    """Make sure the demo tenant exists and has one active `make serve` admin key: the given one (issued unless
    an earlier start did) or a new one; the key an earlier start made is revoked when another replaces it."""
    from loyalty import apikeys
    from loyalty.errors import Conflict
    from loyalty.services import tenants

    from tools.exits import Refused
    from tools.local.seed import seed_demo

    seed_demo()
    try:
        issued = tenants.issue_key(DEMO_TENANT, ["admin"], label=SERVE_LABEL, key=api_key)
        key, key_id = issued["key"], issued["keyId"]
    except Conflict:  # LOYALTY_API_KEY was issued by an earlier run: the database kept it
        key, key_id = api_key or "", apikeys.digest(api_key or "")[:16]
        kept = {k["keyId"]: k for k in tenants.list_keys(DEMO_TENANT)}.get(key_id)
        if kept is None or kept["status"] != "active":
            why = "is not a key of tenant 'demo'" if kept is None else f"was revoked at {kept.get('revokedAt')}"
            raise Refused(f"LOYALTY_API_KEY {why}: unset it for a new key, or choose another") from None
    for earlier in tenants.list_keys(DEMO_TENANT):
        if earlier["label"] == SERVE_LABEL and earlier["status"] == "active" and earlier["keyId"] != key_id:
            tenants.revoke_key(DEMO_TENANT, earlier["keyId"])
            print(f"Revoked the admin key of an earlier start ({earlier['prefix']}…, keyId {earlier['keyId']})")
    return key


def _refuse_a_second_start() -> None:
    """One `make serve` per .local/ (its state file, its engine, its one admin key): a second start, on any port,
    would revoke the running server's key, so it is refused in one line (Exit.SERVING)."""
    from tools.exits import AlreadyServing
    from tools.local import dynamodb_local, paths

    state = dynamodb_local.read_state()
    if dynamodb_local.serving(state):
        assert state is not None
        where = f" on {state['api']}" if state.get("api") else ""
        raise AlreadyServing(
            f"a `make serve` already runs from {paths.local_dir()}{where} (pid {state['pid']}): "
            "use it, or stop it first (`make stop`)"
        )


def _listen_check(port: int) -> None:
    """Fail before the engine starts, in one line, when the port cannot be had (in use, or not allowed)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds (TIME_WAIT is fine)
        probe.bind(("127.0.0.1", port))
    except OSError as error:
        raise _unavailable(port, error) from None
    finally:
        probe.close()


def _unavailable(port: int, error: OSError) -> Exception:
    from tools.exits import PortUnavailable

    if error.errno == errno.EADDRINUSE:
        # a `make serve` of this .local/ was refused before (AlreadyServing): this is another program or checkout
        return PortUnavailable(
            f"port {port} on 127.0.0.1 is in use by another program: stop it or choose another port, "
            "e.g. PORT=3001 make serve"
        )
    return PortUnavailable(f"cannot listen on 127.0.0.1:{port}: {error.strerror or error}")


def _stop_on_sigterm() -> None:
    """`kill` (SIGTERM) stops the server as Ctrl-C does, so the engine is stopped and the state file removed."""

    def interrupt(*_: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def serve(port: int | None = None) -> None:
    from tools.local.engine_session import open_engine

    started = time.monotonic()
    port = int(os.environ.get("PORT", "3000")) if port is None else port
    _refuse_a_second_start()
    _listen_check(port)
    _stop_on_sigterm()
    # EMF metrics are for CloudWatch; locally they would only flood the terminal.
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    # Webhooks may go to a receiver on this machine (http://127.0.0.1, localhost): loyalty/url_guard.py.
    os.environ.setdefault("LOYALTY_WEBHOOKS_ALLOW_LOCAL", "1")
    os.environ.setdefault("LOYALTY_WEBHOOK_SCHEDULE", LOCAL_SCHEDULE)  # webhook retries after seconds, not hours
    with open_engine() as engine:
        try:
            api = LocalApi(port, serialise=engine.embedded)  # bound before a key is issued
        except OSError as error:
            raise _unavailable(port, error) from None
        try:
            key = prepare(os.environ.get("LOYALTY_API_KEY") or None)
        except BaseException:
            api.server_close()
            raise
        engine.announce(api.url)
        print(f"Loyalty API on {api.url} ({engine.description}), ready in {time.monotonic() - started:.2f}s")
        if not engine.endpoint:
            print("Events (GET /events) are made from DynamoDB Local's stream: none on this engine.")
        if not os.environ.get("LOYALTY_API_KEY"):
            print(f"Admin API key for tenant '{DEMO_TENANT}' (shown once): {key}")
        print(f"Try: curl -H 'Authorization: Bearer <key>' {api.url}/status   (Ctrl-C stops it)", flush=True)
        poller = None
        deliverer = None
        try:
            if engine.endpoint:  # DynamoDB Local: its change stream feeds the event builder, as Lambda does deployed
                from tools.local.delivery import DeliveryWorker
                from tools.local.dynamodb_local import TABLE
                from tools.local.stream import poller_for

                poller = poller_for(engine.endpoint, TABLE).start()
                deliverer = DeliveryWorker().start()  # webhook attempts from the durable queue on the table
            api.imports.resume()  # the imports a stopped or killed start left running
            api.serve_forever()
        except KeyboardInterrupt:
            print("\nstopping", file=sys.stderr)
        finally:
            if poller is not None:
                poller.stop()
            if deliverer is not None:
                deliverer.stop()
            api.server_close()
