"""`loyalty serve` killed mid-import and started again finishes the import (§14): the local workflow would otherwise
die with the server and leave the import `running` for good, and an upload URL handed out before died with the
server's signing secret.
The restarted server runs again the uploads the killed one had taken (tools/local/imports.py): the split and the
chunks are idempotent and a chunk counts once, so every row is imported exactly once."""

import signal
import subprocess
import sys
import time

import pytest

from tests.integration.test_import_jobs import put
from tests.integration.test_serve_engine import ROOT, Serve, _environment
from tests.integration.test_webhook_restart import _stop_engine
from tools.local import dynamodb_local

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(dynamodb_local.unavailable_reason() is not None, reason="DynamoDB Local needs Java"),
]
MEMBERS = 2000


def _job(client, import_id):
    answer = client.get(f"/imports/{import_id}")
    assert answer.status == 200, answer.text
    return answer.data


def test_serve_killed_mid_import_and_restarted_finishes_the_import_once(tmp_path):
    rows = "".join(f"restart-{n},L1,3\n" for n in range(MEMBERS))
    serve = Serve(tmp_path)
    killed = False
    try:
        admin = serve.client()
        started = admin.post("/imports", {"kind": "members"})
        assert started.status == 201, started.text
        import_id = started.data["importId"]
        waiting = admin.post("/imports", {"kind": "members"})  # its upload comes after the restart
        assert waiting.status == 201, waiting.text
        assert put(started.data["uploadUrl"], ("externalId,lotId,points\n" + rows).encode()) == 200
        deadline = time.monotonic() + 60
        while _job(admin, import_id)["status"] == "awaiting_upload" and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # some rows written
        assert _job(admin, import_id)["status"] == "running", "killed too late: the import had ended"
        serve.process.send_signal(signal.SIGKILL)
        serve.process.wait(timeout=30)
        killed = True
        _stop_engine(serve.engine_pid)
        (tmp_path / "engine.json").unlink()  # the killed serve's state: Serve() would read its port as the new one's
    finally:
        if not killed:
            serve.stop()

    again = Serve(tmp_path)
    try:
        admin = again.client()
        deadline = time.monotonic() + 240
        while (job := _job(admin, import_id))["status"] == "running" and time.monotonic() < deadline:
            time.sleep(0.5)
        assert (job["status"], job["rowsTotal"], job["rowsDone"], job["rowsFailed"]) == (
            "completed", MEMBERS, MEMBERS, 0,
        ), job  # fmt: skip
        for n in (0, MEMBERS // 2, MEMBERS - 1):
            found = admin.get(f"/members?externalId=restart-{n}").data
            assert len(found) == 1
            assert admin.get(f"/members/{found[0]['memberId']}").data["balance"]["available"] == 3
        # an upload URL handed out before the restart is still good after it, as a presigned S3 URL is (its
        # signing key is kept beside the blobs); `--port 0` gave this server another port, the rest is as signed
        url = waiting.data["uploadUrl"].replace(f":{serve.port}/", f":{again.port}/", 1)
        assert put(url, b"externalId,lotId,points\nafter-restart,L1,4\n") == 200
        deadline = time.monotonic() + 60
        while (late := _job(admin, waiting.data["importId"]))["status"] != "completed" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert (late["status"], late["rowsDone"]) == ("completed", 1), late
        checked = subprocess.run(  # (Serve.cli's 60 s are short for the checker on thousands of members)
            [sys.executable, "-m", "tools.cli", "check", "--tenant", "demo"],
            cwd=ROOT, env=_environment(tmp_path), capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert checked.returncode == 0, checked.stdout + checked.stderr
    finally:
        again.stop()
