"""Deployed bulk imports (§14) on the local API: POST /imports, a PUT of the file to its upload URL, the same
split → chunks → finish the state machine runs (tools/local/imports.py), followed with GET /imports/{importId}."""

import csv
import http.client
import io
import json
import time
from urllib.parse import urlsplit

import pytest

from tests.support.ledger import assert_ledger_clean, balance
from tests.support.local import ok

pytestmark = pytest.mark.slow

HEADER = "externalId,email,firstName,lotId,points,earnedAt,expiresAt\n"
ROWS = [  # line 2 onwards; line 4 has a bad email, line 6 negative points
    "crm-1,ana@example.com,Ana,L1,100,2026-01-01T00:00:00Z,2099-12-31\n",
    "crm-1,ana@example.com,Ana,L2,50,2026-02-01T00:00:00Z,2100-12-31\n",
    "crm-2,not-an-email,Ben,L1,70,2026-01-01T00:00:00Z,2099-12-31\n",
    "crm-3,cy@example.com,Cy,L1,30,2026-01-01T00:00:00Z,2099-12-31\n",
    "crm-4,di@example.com,Di,L1,-5,2026-01-01T00:00:00Z,2099-12-31\n",
]


def put(url: str, data: bytes) -> int:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request("PUT", f"{parts.path}?{parts.query}", body=data, headers={"Content-Type": "text/csv"})
    status = connection.getresponse().status
    connection.close()
    return status


def fetch(url: str) -> tuple[int, str]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request("GET", f"{parts.path}?{parts.query}")
    response = connection.getresponse()
    answer = response.status, response.read().decode()
    connection.close()
    return answer


def follow(client, import_id: str, seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = ok(200, client.get(f"/imports/{import_id}")).data
        if job["status"] in ("completed", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"import {import_id} did not finish: {job}")


def member_by_external_id(client, external_id: str) -> dict | None:
    found = ok(200, client.get(f"/members?externalId={external_id}")).data
    return found[0] if found else None


def test_an_upload_runs_the_import_and_get_follows_it_to_its_report(local_api):
    tenant = local_api.new_tenant("imp")
    started = ok(201, tenant.admin.post("/imports", {"kind": "members"})).data
    assert started["status"] == "awaiting_upload" and started["importId"].startswith("imp_")
    assert started["uploadUrl"].startswith(f"http://127.0.0.1:{local_api.port}/_uploads/uploads/{tenant.tenant_id}/")
    waiting = ok(200, tenant.admin.get(f"/imports/{started['importId']}")).data
    assert (waiting["status"], waiting["rowsTotal"], waiting["reportUrl"], waiting["completedAt"]) == (
        "awaiting_upload", 0, None, None,
    )  # fmt: skip
    assert put(started["uploadUrl"] + "0", b"x") == 403  # a signature changed: refused, nothing stored

    assert put(started["uploadUrl"], (HEADER + "".join(ROWS)).encode()) == 200
    job = follow(tenant.admin, started["importId"])

    assert job["status"] == "completed", job
    assert (job["rowsTotal"], job["rowsDone"], job["rowsFailed"]) == (5, 5, 2)
    assert job["completedAt"] is not None
    status, report = fetch(job["reportUrl"])
    assert status == 200
    failed = list(csv.DictReader(io.StringIO(report)))
    assert [(row["line"], row["status"], row["field"]) for row in failed] == [
        ("4", "rejected", "email"),
        ("6", "rejected", "points"),
    ]
    ana = member_by_external_id(tenant.admin, "crm-1")
    assert ana is not None and balance(tenant.admin, ana["memberId"])["available"] == 150
    cy = member_by_external_id(tenant.admin, "crm-3")
    assert cy is not None and balance(tenant.admin, cy["memberId"])["available"] == 30
    assert member_by_external_id(tenant.admin, "crm-2") is None
    assert_ledger_clean(tenant.tenant_id)

    # The same file uploaded again to a finished import is ignored (a new import would find every row unchanged).
    assert put(started["uploadUrl"], (HEADER + "".join(ROWS)).encode()) == 200
    time.sleep(0.3)
    assert ok(200, tenant.admin.get(f"/imports/{started['importId']}")).data == {**job, "reportUrl": ANY_URL}


class _AnyUrl:
    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and other.startswith("http://127.0.0.1:")


ANY_URL = _AnyUrl()


def test_a_url_signed_for_one_method_is_refused_for_the_other(local_api):
    """A report's download URL turned into an upload URL (same key, expiry and signature) was taken as signed and
    crashed the server on its key (500); a URL is signed for its method, as S3 signs it: 403, nothing stored."""
    tenant = local_api.new_tenant("imp")
    started = ok(201, tenant.admin.post("/imports", {"kind": "members"})).data
    assert put(started["uploadUrl"], (HEADER + ROWS[0]).encode()) == 200
    job = follow(tenant.admin, started["importId"])
    assert put(job["reportUrl"].replace("/_blobs/", "/_uploads/", 1), b"line,status,field,reason\n9,x,,y\n") == 403
    assert fetch(started["uploadUrl"].replace("/_uploads/", "/_blobs/", 1))[0] == 403
    assert fetch(job["reportUrl"]) == (200, "line,status,field,reason\n")


def test_an_upload_shorter_than_its_content_length_is_a_400_and_starts_nothing(local_api):
    """The server crashed on it (500 and a traceback) and left a half-written file behind."""
    import socket

    tenant = local_api.new_tenant("imp")
    started = ok(201, tenant.admin.post("/imports", {"kind": "members"})).data
    parts = urlsplit(started["uploadUrl"])
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as connection:
        head = f"PUT {parts.path}?{parts.query} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"
        connection.sendall(head.encode() + (HEADER + ROWS[0]).encode())
        connection.shutdown(socket.SHUT_WR)
        answer = connection.makefile("rb").read()
    assert answer.startswith(b"HTTP/1.1 400 "), answer
    assert b'"code":"validation_error"' in answer
    time.sleep(0.3)
    assert ok(200, tenant.admin.get(f"/imports/{started['importId']}")).data["status"] == "awaiting_upload"
    assert member_by_external_id(tenant.admin, "crm-1") is None
    assert put(started["uploadUrl"], (HEADER + ROWS[0]).encode()) == 200  # a whole upload then runs it
    assert follow(tenant.admin, started["importId"])["rowsDone"] == 1


def _answer_to_head(url: str, headers: str) -> bytes:
    """The server's answer to an upload's request line and headers, sent with no body."""
    import socket

    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as connection:
        connection.sendall(f"PUT {parts.path}?{parts.query} HTTP/1.1\r\nHost: x\r\n{headers}\r\n".encode("latin-1"))
        connection.shutdown(socket.SHUT_WR)
        return connection.makefile("rb").read()


def test_an_upload_over_s3s_limit_or_without_a_length_is_refused_before_its_body(local_api):
    """The local blob store took any Content-Length (a client could fill the disk); S3 takes at most 5 GiB in one
    PUT, which a presigned URL is, and no chunked PUT: 413 and 411, nothing stored, the URL still good."""
    from tools.local.server import MAX_UPLOAD_BYTES

    tenant = local_api.new_tenant("imp")
    started = ok(201, tenant.admin.post("/imports", {"kind": "members"})).data
    too_large = _answer_to_head(started["uploadUrl"], f"Content-Length: {MAX_UPLOAD_BYTES + 1}\r\n")
    assert too_large.startswith(b"HTTP/1.1 413 ") and b'"code":"payload_too_large"' in too_large, too_large
    chunked = _answer_to_head(started["uploadUrl"], "Transfer-Encoding: chunked\r\n")
    assert chunked.startswith(b"HTTP/1.1 411 ") and b'"code":"length_required"' in chunked, chunked
    superscript = _answer_to_head(started["uploadUrl"], "Content-Length: \u00b2\r\n")  # a digit to isdigit()
    assert superscript.startswith(b"HTTP/1.1 411 ") and b'"code":"length_required"' in superscript, superscript
    two = _answer_to_head(started["uploadUrl"], "Content-Length: 3\r\nContent-Length: 100\r\n")  # which is it?
    assert two.startswith(b"HTTP/1.1 400 ") and b"disagree" in two, two
    time.sleep(0.3)
    assert ok(200, tenant.admin.get(f"/imports/{started['importId']}")).data["status"] == "awaiting_upload"
    assert put(started["uploadUrl"], (HEADER + ROWS[0]).encode()) == 200
    assert follow(tenant.admin, started["importId"])["rowsDone"] == 1


def test_a_file_that_is_neither_csv_nor_json_lines_fails_the_import(local_api):
    tenant = local_api.new_tenant("imp")
    started = ok(201, tenant.admin.post("/imports", {"kind": "members"})).data
    assert put(started["uploadUrl"], b"\x00\x01binary\n\x02") == 200
    job = follow(tenant.admin, started["importId"])
    assert (job["status"], job["reportUrl"]) == ("failed", None)
    # it says why (it said nothing: a client could not tell a bad file from a broken run)
    assert job["error"] == "The file can't be imported: not a CSV or JSON Lines file."
    for data, why in (
        ("externalId,email\nc-1,a@example.com\n".encode("utf-16"), "not a CSV or JSON Lines file"),
        (b"externalId,externalId\nx,y\n", "a column is named twice in the CSV header"),
        (b"externalId,points,bonus\nx,1,2\n", "unknown column in the CSV header: bonus"),
    ):
        started = ok(201, tenant.admin.post("/imports", {"kind": "members"})).data
        assert put(started["uploadUrl"], data) == 200
        job = follow(tenant.admin, started["importId"])
        assert (job["status"], job["error"]) == ("failed", f"The file can't be imported: {why}."), job
    ok_job = ok(201, tenant.admin.post("/imports", {"kind": "members"})).data
    assert ok(200, tenant.admin.get(f"/imports/{ok_job['importId']}")).data["error"] is None


def test_imports_are_admin_only_per_tenant_and_validated(local_api):
    tenant, other = local_api.new_tenant("imp"), local_api.new_tenant("imp")
    started = ok(201, tenant.admin.post("/imports", {"kind": "members"})).data
    for client in (tenant.integration, tenant.read):
        assert client.post("/imports", {"kind": "members"}).status == 403
        assert client.get(f"/imports/{started['importId']}").status == 403
    assert other.admin.get(f"/imports/{started['importId']}").code == "not_found"
    assert tenant.admin.get("/imports/imp_01JD8YF6G8J0L2N4Q6S8U0W2Y4").code == "not_found"
    assert tenant.admin.get("/imports/not-an-import").code == "not_found"
    for body in (
        {},
        {"kind": "everything"},
        {"kind": "members", "rewardId": "coffee"},
        {"kind": "codes"},
        {"kind": "codes", "rewardId": "coffee", "offerId": "spring"},
        {"kind": "members", "extra": 1},
    ):
        reply = tenant.admin.post("/imports", body)
        assert (reply.status, reply.code) == (400, "validation_error"), (body, reply.text)
    assert tenant.admin.post("/imports", {"kind": "codes", "rewardId": "coffee"}).code == "not_found"


COUPON = {"rewardId": "coffee", "name": "Coffee", "pointsCost": 10, "fulfillment": "coupon", "isActive": True}


def test_a_codes_import_fills_the_pool_through_the_same_workflow(local_api):
    tenant = local_api.new_tenant("imp")
    ok(201, tenant.admin.post("/rewards", COUPON))
    started = ok(201, tenant.admin.post("/imports", {"kind": "codes", "rewardId": "coffee"})).data
    codes = "code\n" + "".join(f"CAFE-{n:04d}\n" for n in range(40)) + "CAFE-0003\nbad code!\n"
    assert put(started["uploadUrl"], codes.encode()) == 200
    job = follow(tenant.admin, started["importId"])
    assert (job["status"], job["rowsTotal"], job["rowsDone"], job["rowsFailed"]) == ("completed", 42, 42, 1)
    reward = ok(200, tenant.admin.get("/rewards/coffee")).data
    assert (reward["stock"]["total"], reward["stock"]["available"]) == (40, 40), reward
    report = list(csv.DictReader(io.StringIO(fetch(job["reportUrl"])[1])))
    assert [(row["line"], row["status"], row["field"]) for row in report] == [("43", "rejected", "code")]


def test_each_workflow_step_calls_only_the_dynamodb_actions_its_role_is_granted(local_api, tmp_path, monkeypatch):
    """The three steps as the state machine invokes them (their handlers, the events it sends), recorded; chunks of
    100 bytes of upload, so the small file makes several and a member's two rows must still share one."""
    from loyalty.services import import_jobs

    monkeypatch.setattr(import_jobs, "CHUNK_BYTES", 100)
    from loyalty.repository.blobs import blobs
    from loyalty.routes import IMPORT_FUNCTIONS
    from loyalty.services.import_jobs import upload_key

    from infra import permissions
    from tests.support.dynamo_actions import recording
    from tools.local import gateway

    tenant = local_api.new_tenant("imp")
    import_id = ok(201, tenant.admin.post("/imports", {"kind": "members"})).data["importId"]
    key = upload_key(tenant.tenant_id, import_id)
    data = (HEADER + "".join(ROWS)).encode()
    (tmp_path / "upload.csv").write_bytes(data)
    blobs().put_file(
        key, tmp_path / "upload.csv"
    )  # as S3 holds the upload (no local trigger: the steps run here, by hand)

    def run(function: str, event: dict) -> dict:
        return gateway.load_handler(function)(event, gateway.LambdaContext(function, "step"))

    with recording() as seen:
        split = run("split_import", {"bucket": "imports", "key": key})
        assert split["skip"] is False and split["bucket"] == "imports"
        import json

        manifest = json.loads(blobs().get(split["manifestKey"]))
        assert len(manifest) >= 3, manifest
        chunk_of = {
            json.loads(line)["line"]: item["chunk"]
            for item in manifest
            for line in blobs().get(item["key"]).splitlines()
        }
        assert sorted(chunk_of) == [2, 3, 4, 5, 6] and chunk_of[2] == chunk_of[3]  # crm-1's two rows: one chunk
        for item in manifest:
            for _ in "12":  # a chunk retried by the Map (a timeout after it wrote): its rows count once
                run("import_chunk", {"tenantId": tenant.tenant_id, "importId": import_id, **item})
        run("finish_import", {"tenantId": tenant.tenant_id, "importId": import_id, "chunks": split["chunks"]})
    granted = {
        "split_import": permissions.SPLIT_IMPORT,
        "import_chunk": permissions.IMPORT_CHUNK,
        "finish_import": permissions.FINISH_IMPORT,
    }
    assert set(seen) == set(IMPORT_FUNCTIONS) == set(granted)
    for function, actions in seen.items():
        assert actions <= set(granted[function]), (function, actions - set(granted[function]))
    assert seen["split_import"] == set(permissions.SPLIT_IMPORT)  # no more than it calls
    assert seen["finish_import"] == set(permissions.FINISH_IMPORT)
    job = ok(200, tenant.admin.get(f"/imports/{import_id}")).data
    assert (job["status"], job["rowsDone"], job["rowsFailed"]) == ("completed", 5, 2)


def test_the_cli_against_a_stack_uploads_the_file_and_follows_the_import_to_its_report(local_api, tmp_path):
    """tools/imports_remote.run, what `loyalty import members` does when it targets a deployed table: here the
    presigned URL is the local API's (the blob store is the local one), the steps the same."""
    from tools import imports_remote

    tenant = local_api.new_tenant("imp")
    path = tmp_path / "members.csv"
    path.write_text(HEADER + "".join(ROWS))
    report = tmp_path / "members.csv.report.csv"
    summary = imports_remote.run(
        path, tenant.tenant_id, {"kind": "members"}, report=report, progress=False, poll_seconds=0.1,
        timeout_seconds=60,
    )  # fmt: skip
    assert summary["status"] == "completed", summary
    assert {k: summary[k] for k in ("created", "rejected", "rowsTotal", "rowsDone", "rowsFailed")} == {
        "created": 3, "rejected": 2, "rowsTotal": 5, "rowsDone": 5, "rowsFailed": 2,
    }  # fmt: skip
    assert [row["line"] for row in csv.DictReader(report.open())] == ["4", "6"]
    again = imports_remote.run(path, tenant.tenant_id, {"kind": "members"}, progress=False, poll_seconds=0.1)
    assert (again["created"], again["unchanged"], again["rejected"]) == (0, 3, 2)  # the same file: nothing twice
    assert_ledger_clean(tenant.tenant_id)


def test_the_local_workflow_runs_a_chunk_again_when_the_store_is_briefly_unavailable(local_api, monkeypatch):
    """`make serve` failed a whole import on one transient store error (a 60,000-row import on a busy machine:
    `failed`, nothing counted, though rows had been written); the state machine retries such a chunk with backoff,
    and so does the local workflow now. A chunk run again writes nothing twice and is counted once."""
    from loyalty.errors import Throttled, Unavailable
    from loyalty.services import import_jobs

    monkeypatch.setattr(import_jobs, "LOCAL_RETRY_SECONDS", 0.01)
    monkeypatch.setattr(import_jobs, "CHUNK_BYTES", 100)  # several chunks
    real, failures = import_jobs.import_chunk, {}

    def flaky(tenant_id: str, import_id: str, chunk: int, key: str) -> dict:
        counts = real(tenant_id, import_id, chunk, key)  # written (and counted) before the error, as a timeout does
        failures[chunk] = failures.get(chunk, 0) + 1
        if failures[chunk] == 1:
            raise Unavailable()
        if failures[chunk] == 2:
            raise Throttled()
        return counts

    monkeypatch.setattr(import_jobs, "import_chunk", flaky)
    tenant = local_api.new_tenant("imp")
    started = ok(201, tenant.admin.post("/imports", {"kind": "members"})).data
    assert put(started["uploadUrl"], (HEADER + "".join(ROWS)).encode()) == 200
    job = follow(tenant.admin, started["importId"])
    assert (job["status"], job["rowsTotal"], job["rowsDone"], job["rowsFailed"]) == ("completed", 5, 5, 2), job
    assert len(failures) >= 2 and set(failures.values()) == {3}
    ana = member_by_external_id(tenant.admin, "crm-1")
    assert ana is not None and balance(tenant.admin, ana["memberId"])["available"] == 150
    assert_ledger_clean(tenant.tenant_id)


def test_a_second_upload_to_the_same_url_neither_mixes_into_nor_restarts_the_first(local_api, tmp_path):
    """Two uploads to one URL each start a split. Both wrote their chunks and manifest under the same keys, so the
    run the first split started could read the second file's rows (or a manifest that disagrees with its own
    chunk count). Each version of the upload now has its own chunks: the run keeps reading its own file."""
    import json

    from loyalty.repository.blobs import blobs
    from loyalty.services import import_jobs

    tenant = local_api.new_tenant("imp")
    import_id = ok(201, tenant.admin.post("/imports", {"kind": "members"})).data["importId"]
    key = import_jobs.upload_key(tenant.tenant_id, import_id)
    first = (HEADER + "".join(ROWS[:2])).encode()
    second = (HEADER + "".join(f"other-{n},o{n}@example.com,O,L1,9,,2099-12-31\n" for n in range(30))).encode()
    (tmp_path / "first.csv").write_bytes(first)
    (tmp_path / "second.csv").write_bytes(second)
    blobs().put_file(key, tmp_path / "first.csv")  # as S3 holds the upload (the steps run here, by hand)
    started = import_jobs.split(key)
    assert started["skip"] is False

    def rows_under(manifest_key: str) -> list[dict]:
        manifest = json.loads(blobs().get(manifest_key))
        return [json.loads(line) for item in manifest for line in blobs().get(item["key"]).splitlines()]

    before = rows_under(started["manifestKey"])
    assert sorted(row["line"] for row in before) == [2, 3]
    blobs().put_file(key, tmp_path / "second.csv")  # the second upload, and its split
    again = import_jobs.split(key)
    assert again["skip"] is True  # the import had started: the second file starts nothing
    assert rows_under(started["manifestKey"]) == before  # the running import's chunks are still the first file's
    job = ok(200, tenant.admin.get(f"/imports/{import_id}")).data
    assert job["rowsTotal"] == 2


def test_a_finish_step_that_crashed_after_completing_stores_import_completed_when_run_again(local_api, monkeypatch):
    """Finish set `completed`, then stored `import.completed` in a second write; a run that died between the two
    was run again, found the import completed (not running) and stored nothing: the event was lost for good."""
    from loyalty.repository.blobs import blobs
    from loyalty.services import import_jobs, imports

    tenant = local_api.new_tenant("imp")
    import_id = ok(201, tenant.admin.post("/imports", {"kind": "members"})).data["importId"]
    key = import_jobs.upload_key(tenant.tenant_id, import_id)
    assert blobs().put(key, (HEADER + "".join(ROWS)).encode(), "text/csv") is None  # (a blob store's put)
    started = import_jobs.split(key)
    for item in json.loads(blobs().get(started["manifestKey"])):
        import_jobs.import_chunk(tenant.tenant_id, import_id, item["chunk"], item["key"])
    stored = imports.complete_import

    def crash(*args, **kwargs):
        raise RuntimeError("the Lambda died here")

    monkeypatch.setattr(imports, "complete_import", crash)
    with pytest.raises(RuntimeError):
        import_jobs.finish(tenant.tenant_id, import_id, started["chunks"])
    assert ok(200, tenant.admin.get(f"/imports/{import_id}")).data["status"] == "completed"
    monkeypatch.setattr(imports, "complete_import", stored)
    for _ in range(2):  # the step run again (twice: the second stores nothing more)
        assert import_jobs.finish(tenant.tenant_id, import_id, started["chunks"])["status"] == "completed"
    events = ok(200, tenant.read.get("/events?type=import.completed")).data
    assert [(event["data"]["importId"], event["data"]["created"], event["data"]["rejected"]) for event in events] == [
        (import_id, 3, 2)
    ]
