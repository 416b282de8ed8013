"""`loyalty serve` on DynamoDB Local: a restart keeps data, the engine hands it to no one, the API port is the API."""

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.support.local import Client
from tools.local import dynamodb_local

ROOT = Path(__file__).resolve().parents[2]
KEY = "lk_demo_restartrestartrestartrestart00"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(dynamodb_local.unavailable_reason() is not None, reason="DynamoDB Local needs Java"),
]


def _environment(local_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "TABLE_NAME"}
    return {**env, "LOYALTY_LOCAL_DIR": str(local_dir), "LOYALTY_API_KEY": KEY, "LOYALTY_ACCESS_LOG": "0"}


class Serve:
    """`loyalty serve --port 0` in a child process, with its local folder in a temporary directory."""

    def __init__(self, local_dir):
        self.local_dir = local_dir
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tools.cli", "serve", "--port", "0"],
            cwd=ROOT,
            env=_environment(local_dir),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            state = self.state()
            if state and state.get("api"):
                break
            assert self.process.poll() is None, self.process.stdout.read().decode()
            time.sleep(0.1)
        else:
            raise AssertionError("serve did not start")
        self.api = state["api"]
        self.endpoint = state["endpoint"]
        self.engine_pid = state["enginePid"]
        self.port = int(self.api.split(":")[2].split("/")[0])

    def state(self):
        try:
            return json.loads((self.local_dir / "engine.json").read_text())
        except (OSError, ValueError):
            return None

    def client(self, key=KEY):
        return Client(self.port, key)

    def cli(self, *args):
        return subprocess.run(
            [sys.executable, "-m", "tools.cli", *args],
            cwd=ROOT,
            env=_environment(self.local_dir),
            capture_output=True,
            text=True,
            timeout=60,
        )

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        assert self.process.wait(timeout=90) == 0, self.process.stdout.read().decode()


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/status").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text()


def test_a_restart_keeps_every_tenant_key_member_and_ledger_entry(tmp_path):
    serve = Serve(tmp_path)
    try:
        demo = serve.client()
        assert demo.post("/activities", {"activityId": "visit", "name": "Visit", "points": 25}).status == 201
        member = demo.post("/members", {"email": "kept@example.com"}).data["memberId"]
        assert demo.post(f"/members/{member}/awards", {"activityId": "visit"}).status == 201
        created = serve.cli("tenant", "create", "acme", "--name", "Acme")
        assert created.returncode == 0, created.stderr
        issued = serve.cli("key", "issue", "acme", "--scope", "integration", "--label", "till")
        assert issued.returncode == 0, issued.stderr
        acme_key = json.loads(issued.stdout)["key"]
        acme_member = serve.client(acme_key).post("/members", {"email": "acme@example.com"}).data["memberId"]
    finally:
        serve.stop()
    assert not _alive(serve.engine_pid), "the engine serve started must stop with it"
    assert not (tmp_path / "engine.json").exists()
    assert not list(tmp_path.rglob("dynamodb-local-metadata.json")), "telemetry must stay off"

    again = Serve(tmp_path)
    try:
        demo = again.client()
        assert demo.get(f"/members/{member}").data["balance"]["available"] == 25
        assert [t["points"] for t in demo.get(f"/members/{member}/transactions").data] == [25]
        assert again.client(acme_key).get(f"/members/{acme_member}").status == 200
        assert [k["label"] for k in json.loads(again.cli("key", "list", "acme").stdout)] == ["till"]
        assert json.loads(again.cli("check").stdout)["problems"] == []
    finally:
        again.stop()


def test_the_api_port_refuses_dynamodb_and_other_credentials_see_no_table(tmp_path):
    serve = Serve(tmp_path)
    try:
        for path in ("/", "/Production"):
            connection = http.client.HTTPConnection("127.0.0.1", serve.port, timeout=10)
            connection.request(
                "POST",
                path,
                body=b"{}",
                headers={"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0"},
            )
            reply = connection.getresponse()
            text = reply.read().decode()
            connection.close()
            assert reply.status == 404 and json.loads(text)["error"]["code"] == "not_found", text  # as API Gateway
        served = json.loads(serve.client().get("/openapi.json").text)
        assert served["servers"][0]["url"] == serve.api and "execute-api" in served["servers"][1]["url"]
        through_api = boto3.client(
            "dynamodb", endpoint_url=f"http://127.0.0.1:{serve.port}", region_name="us-east-1",
            aws_access_key_id="anyone", aws_secret_access_key="anything",
        )  # fmt: skip
        with pytest.raises(ClientError):
            through_api.list_tables()

        stranger = boto3.client(
            "dynamodb", endpoint_url=serve.endpoint, region_name="us-east-1",
            aws_access_key_id="AKIASTRANGER", aws_secret_access_key="guess",
        )  # fmt: skip
        assert stranger.list_tables()["TableNames"] == []
        with pytest.raises(ClientError) as missing:
            stranger.scan(TableName=dynamodb_local.TABLE)
        assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"

        stored = json.loads((tmp_path / "credentials.json").read_text())
        owner = boto3.client(
            "dynamodb", endpoint_url=serve.endpoint, region_name="us-east-1",
            aws_access_key_id=stored["accessKeyId"], aws_secret_access_key=stored["secretAccessKey"],
        )  # fmt: skip
        assert owner.list_tables()["TableNames"] == [dynamodb_local.TABLE]
        for name in ("credentials.json", "engine.json"):
            assert (tmp_path / name).stat().st_mode & 0o777 == 0o600, name
    finally:
        serve.stop()


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's socket table")
def test_the_engine_listens_on_loopback_only(tmp_path):
    if not (dynamodb_local.paths.ENGINE_DIR / "launcher").is_dir():
        pytest.skip("no loopback launcher (javac was missing at install)")
    serve = Serve(tmp_path)
    try:
        port = f"{int(serve.endpoint.rsplit(':', 1)[1]):04X}"
        listening = [
            line.split()[1].split(":")[0]
            for table in ("/proc/net/tcp", "/proc/net/tcp6")
            for line in Path(table).read_text().splitlines()[1:]
            if line.split()[1].endswith(f":{port}") and line.split()[3] == "0A"  # LISTEN
        ]
        assert listening and all(address.endswith("0100007F") for address in listening), listening
    finally:
        serve.stop()
