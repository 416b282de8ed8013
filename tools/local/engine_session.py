"""The engine under `make serve`: DynamoDB Local (started unless running, table made, stopped on exit) or a fallback."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from tools.local import dynamodb_local, paths


@dataclass
class EngineSession:
    description: str
    embedded: bool = False
    endpoint: str | None = None

    def announce(self, api_url: str) -> None:
        """Record where the API and the engine are, for the operator CLI (only the process that owns the engine)."""
        state = dynamodb_local.read_state()
        if state and state.get("pid") == os.getpid():
            dynamodb_local.write_state({**state, "api": api_url})


def _point_loyalty_at(endpoint: str, creds: dynamodb_local.Credentials) -> None:
    """Environment for this process's boto3 client (set before any loyalty module is imported)."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        os.environ.pop(name, None)
    os.environ.update(
        {**creds.environment(), "AWS_ENDPOINT_URL_DYNAMODB": endpoint, "TABLE_NAME": dynamodb_local.TABLE}
    )


@contextmanager
def open_engine() -> Iterator[EngineSession]:
    if os.environ.get("TABLE_NAME"):  # the user's own table (deployed, or an endpoint they run)
        yield EngineSession(f"table {os.environ['TABLE_NAME']}")
        return
    reason = dynamodb_local.unavailable_reason()
    if reason:
        print(f"{reason}: serving on the embedded in-memory engine. WARNING: data is not kept when the server stops.")
        from tools.local import embedded_dynamodb

        embedded_dynamodb.start()
        dynamodb_local.write_state({"pid": os.getpid(), "engine": "embedded"})
        try:
            yield EngineSession("embedded in-memory engine: data is NOT kept", embedded=True)
        finally:
            dynamodb_local.clear_state(os.getpid())
        return
    creds = dynamodb_local.credentials()
    running = dynamodb_local.read_state()
    if dynamodb_local.running(running):
        assert running is not None
        engine = dynamodb_local.Engine(running["endpoint"])  # another `make serve` runs it and will stop it
    else:
        paths.local_dir().mkdir(parents=True, exist_ok=True)
        with open(paths.local_dir() / "dynamodb.log", "ab") as log:
            engine = dynamodb_local.Engine.start(paths.data_dir(), log)
        assert engine.process is not None
        dynamodb_local.write_state(
            {
                "pid": os.getpid(),
                "engine": "dynamodb-local",
                "endpoint": engine.endpoint,
                "enginePid": engine.process.pid,
                "table": dynamodb_local.TABLE,
                "region": dynamodb_local.REGION,
                "database": str(paths.data_dir()),
            }
        )
    try:
        _point_loyalty_at(engine.endpoint, creds)
        dynamodb_local.ensure_table(dynamodb_local.client(engine.endpoint, creds))
        yield EngineSession(
            f"DynamoDB Local at {engine.endpoint}, data kept in {paths.data_dir()}", endpoint=engine.endpoint
        )
    finally:
        engine.stop()
        dynamodb_local.clear_state(os.getpid())
