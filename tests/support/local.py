"""Test harness: the embedded table, the local API on a free port, and a small HTTP client."""

from __future__ import annotations

import http.client
import itertools
import json
import threading
from dataclasses import dataclass
from typing import Any

from loyalty.routes import STAGE

from tools.local import embedded_dynamodb

_tenants = itertools.count(1)


def start_embedded() -> None:
    embedded_dynamodb.start()


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
    ) -> Reply:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        sent = dict(headers or {})
        if self.key is not None and "Authorization" not in sent:
            sent["Authorization"] = f"Bearer {self.key}"
        payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if payload is not None:
            sent["Content-Type"] = "application/json"
        connection.request(method, f"/{STAGE}{path}", body=payload, headers=sent)
        response = connection.getresponse()
        text = response.read().decode()
        connection.close()
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
    def __init__(self) -> None:
        from tools.local.server import LocalApi

        start_embedded()
        self.server = LocalApi(0, embedded=True)
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

    def anonymous(self, key: str | None = None) -> Client:
        return Client(self.port, key)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def tenant_digest(tenant_id: str) -> str:
    """A fingerprint of every item of a tenant in the embedded table (nothing changed ⇔ same digest)."""
    import hashlib
    import os

    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    prefix = f"T#{tenant_id}#"
    with embedded_dynamodb.LOCK:
        table = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].tables[os.environ["TABLE_NAME"]]
        items = [
            json.dumps(item.to_json()["Attributes"], sort_keys=True)
            for hash_key, partition in table.items.items()
            if f"{hash_key.value}#".startswith(prefix)
            for item in partition.values()
        ]
    return hashlib.sha256("\n".join(sorted(items)).encode()).hexdigest()
