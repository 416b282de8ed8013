"""Test harness: the local API on a free port over this worker's DynamoDB Local, and a small HTTP client."""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from loyalty.routes import STAGE

from tests.support import openapi_check
from tools.local import dynamodb_local

if TYPE_CHECKING:
    from tools.local.gateway import InFlight

_tenants = itertools.count(1)


class EngineRedirect:
    """Sends the loyalty client's DynamoDB calls to DynamoDB Local while active; moto (unit tests) answers otherwise.

    The test process has one loyalty client (created on moto's endpoint); rewriting the URL before the
    request is signed sends the very same calls (fault injection and all) to the real engine.
    """

    def __init__(self, client: Any, endpoint: str) -> None:
        self.endpoint, self.active = endpoint, False
        client.meta.events.register_first("before-sign.dynamodb", self._redirect)

    def _redirect(self, request: Any, **_: Any) -> None:
        if self.active:
            parts = urlsplit(request.url)
            request.url = f"{self.endpoint}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)

    @property
    def data(self) -> Any:
        return self.json["data"]

    @property
    def code(self) -> str | None:
        return self.json.get("error", {}).get("code")


def ok(status: int, reply: Reply) -> Reply:
    """The reply, once it is known to have the status the contract gives this call (a test's set-up step)."""
    assert reply.status == status, (status, reply.status, reply.text)
    return reply


class Client:
    """Calls the local API as a merchant would, with one API key."""

    def __init__(self, port: int, key: str | None) -> None:
        self.port, self.key = port, key

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        content_type: str | None = "application/json",
    ) -> Reply:
        """`content_type` labels a body (None: no Content-Type header); a request without a body sends none."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        sent = dict(headers or {})
        if self.key is not None and "Authorization" not in sent:
            sent["Authorization"] = f"Bearer {self.key}"
        payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if payload is not None and content_type is not None:
            sent["Content-Type"] = content_type
        connection.request(method, f"/{STAGE}{path}", body=payload, headers=sent)
        response = connection.getresponse()
        text = response.read().decode()
        connection.close()
        openapi_check.check(method, path, response.status, text)
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, text)

    def get(self, path: str, **kw: Any) -> Reply:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.call("POST", path, body if body is not None else {}, **kw)

    def patch(self, path: str, body: Any, **kw: Any) -> Reply:
        return self.call("PATCH", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Reply:
        return self.call("DELETE", path, **kw)


@dataclass
class Tenant:
    """A fresh tenant with one key of each scope (and clients for them)."""

    tenant_id: str
    admin: Client
    integration: Client
    read: Client
    keys: dict[str, dict[str, Any]]


class LocalApiServer:
    """DynamoDB Local in memory (one JVM per test process) and the local API over it, with real concurrency."""

    def __init__(self) -> None:
        from loyalty.repository.client import client, table_name

        from tools.local.server import LocalApi

        self.engine = dynamodb_local.Engine.start()
        self.redirect = EngineRedirect(client, self.engine.endpoint)
        with self.on_engine():
            dynamodb_local.ensure_table(client, table_name())
        self.server = LocalApi(0)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def new_tenant(self, prefix: str = "t") -> Tenant:
        from loyalty.services import tenants

        tenant_id = f"{prefix}{next(_tenants)}-{threading.get_ident() % 10000}"
        tenants.create_tenant(tenant_id, f"Program {tenant_id}")
        keys = {scope: tenants.issue_key(tenant_id, [scope]) for scope in ("admin", "integration", "read")}
        clients = {scope: Client(self.port, keys[scope]["key"]) for scope in keys}
        return Tenant(tenant_id, clients["admin"], clients["integration"], clients["read"], keys)

    @property
    def in_flight(self) -> InFlight:
        """The gauge of handlers running at once (and the gate that holds a burst until it has all arrived)."""
        return self.server.gateway.in_flight

    def anonymous(self, key: str | None = None) -> Client:
        return Client(self.port, key)

    def on_engine(self) -> contextlib.AbstractContextManager[None]:
        return _active(self.redirect)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.engine.stop()


@contextlib.contextmanager
def _active(redirect: EngineRedirect) -> Iterator[None]:
    redirect.active = True
    try:
        yield
    finally:
        redirect.active = False


def tenant_items(tenant_id: str) -> list[dict[str, Any]]:
    """Every item of a tenant in the test table, in DynamoDB's typed form.

    A test-only Scan through the loyalty client, so inside an integration test it reads DynamoDB Local.
    """
    from loyalty.repository.client import client, table_name

    partition = f"T#{tenant_id}"
    items: list[dict[str, Any]] = []
    start = None
    while True:
        page = client.scan(
            TableName=table_name(), ConsistentRead=True, **({"ExclusiveStartKey": start} if start else {})
        )
        items += [
            item
            for item in page.get("Items", [])
            if item["pk"]["S"] == partition or item["pk"]["S"].startswith(partition + "#")
        ]
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def purge_tenant(tenant_id: str) -> int:
    """Delete every item of a tenant from the test table; the number deleted.

    For the bulk tests (an import of thousands of members or codes): tenant_items is a whole-table Scan, so
    their items, left in this worker's engine, made every later Scan read them (minutes per fuzz route).
    """
    from concurrent.futures import ThreadPoolExecutor

    from loyalty.repository.client import client, table_name

    keys = [{"pk": item["pk"], "sk": item["sk"]} for item in tenant_items(tenant_id)]
    batches = [keys[i : i + 25] for i in range(0, len(keys), 25)]

    def delete(batch: list[dict[str, Any]]) -> None:
        requests = [{"DeleteRequest": {"Key": key}} for key in batch]
        while requests:  # what the engine did not take (UnprocessedItems), again
            answer = client.batch_write_item(RequestItems={table_name(): requests})
            requests = answer.get("UnprocessedItems", {}).get(table_name(), [])

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(delete, batches))
    return len(keys)


def tenant_digest(tenant_id: str) -> str:
    """A fingerprint of every item of a tenant in the test table (nothing changed ⇔ same digest)."""
    import hashlib

    items = [json.dumps(item, sort_keys=True) for item in tenant_items(tenant_id)]
    return hashlib.sha256("\n".join(sorted(items)).encode()).hexdigest()
