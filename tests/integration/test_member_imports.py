"""Member imports (§14, issue 26) on DynamoDB Local: balances and expiry dates exactly as the file says, the ledger
checker clean, a re-import changes nothing, changed rows are conflicts, a SIGKILL then a re-run applies every row
exactly once, and malformed rows are reported by line while the others import."""

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime

import pytest
from loyalty.repository import lots as lots_db
from loyalty.repository import members as members_db
from loyalty.repository import store
from loyalty.repository.client import table_name
from loyalty.services import checker, imports
from loyalty.services.import_files import MAX_LINE_BYTES

from tests.support.local import ok, tenant_items
from tools.bench_imports import member_rows, write_member_file
from tools.imports_cli import import_members

# The proof: 5,000 rows (IMPORT_TEST_ROWS makes it smaller while working on the import; the import, the
# re-import and the changed file each take a third of the test's time).
MEMBERS_ROWS = int(os.environ.get("IMPORT_TEST_ROWS", "5000"))


def _clean(tenant_id):
    report = checker.check([tenant_id])
    assert report["problems"] == [], report["problems"][:5]


def _expected(rows):
    """Per externalId: (available, expired, {expiresOn: points} of live lots), from the file's rows."""
    today = datetime.now(UTC).date().isoformat()
    out = defaultdict(lambda: [0, 0, {}])
    for row in rows:
        points, expires = int(row["points"]), row["expiresAt"]
        wanted = out[row["externalId"]]
        if expires < today:
            wanted[1] += points
        else:
            wanted[0] += points
            wanted[2][expires] = wanted[2].get(expires, 0) + points
    return out


def _stored(tenant_id, external_ids):
    """Per externalId: (available, expired, {expiresOn: unspent points}) as stored."""
    holders = store.get_many([members_db.guard(tenant_id, "externalId", e) for e in external_ids])
    out = {}
    for external_id, guard in zip(external_ids, holders, strict=True):
        assert guard is not None, external_id
        member, lots = lots_db.member_with_lots(tenant_id, guard["memberId"])
        in_lots = {lot["expiresOn"]: lot["cumEnd"] - max(lot["cumStart"], member["consumed"]) for lot in lots}
        out[external_id] = [member["balance"]["available"], member["balance"]["expired"], in_lots]
    return out


def _member_items(tenant_id):
    """The tenant's items but its events and import completions: what a row of an import may change."""
    kept = [i for i in tenant_items(tenant_id) if "#IMPORTED#" not in i["pk"]["S"] and "#EVT" not in i["pk"]["S"]]
    return sorted(json.dumps(item, sort_keys=True) for item in kept)


@pytest.mark.early
def test_import_then_again_then_changed_rows(bulk_tenant, tmp_path):
    tenant = bulk_tenant
    rows = member_rows(MEMBERS_ROWS)
    path = write_member_file(tmp_path / "members.csv", rows)
    first = import_members(path, tenant.tenant_id, workers=4, progress=False, report=tmp_path / "r1.csv")
    assert first.counts() == {"created": len(rows), "unchanged": 0, "conflicts": 0, "rejected": 0,
                              "rowsTotal": len(rows)}  # fmt: skip
    _clean(tenant.tenant_id)
    expected = _expected(rows)
    assert _stored(tenant.tenant_id, sorted(expected)) == {k: list(v) for k, v in expected.items()}
    one = next(iter(expected))
    shown = ok(200, tenant.read.get(f"/members?externalId={one}")).json["data"][0]
    entries = ok(200, tenant.read.get(f"/members/{shown['memberId']}/transactions")).json["data"]
    assert {e["type"] for e in entries} <= {"import", "expire"} and entries
    events = ok(200, tenant.read.get("/events?type=import.completed")).json["data"]
    assert [e["data"]["created"] for e in events] == [len(rows)]

    before = _member_items(tenant.tenant_id)
    again = import_members(path, tenant.tenant_id, workers=4, progress=False, report=tmp_path / "r2.csv")
    assert again.counts() == {"created": 0, "unchanged": len(rows), "conflicts": 0, "rejected": 0,
                              "rowsTotal": len(rows)}  # fmt: skip
    assert _member_items(tenant.tenant_id) == before

    changed = frozenset(random.Random(7).sample(range(len(rows)), 10))
    write_member_file(path, member_rows(MEMBERS_ROWS, changed=changed))
    report = tmp_path / "r3.csv"
    third = import_members(path, tenant.tenant_id, workers=4, progress=False, report=report)
    assert (third.created, third.unchanged, third.conflicts, third.rejected) == (0, len(rows) - 10, 10, 0)
    reported = report.read_text().splitlines()[1:]
    assert sorted(int(line.split(",")[0]) for line in reported) == sorted(i + 2 for i in changed)
    assert all(",conflict,lotId," in line for line in reported)
    assert _member_items(tenant.tenant_id) == before  # nothing overwritten
    _clean(tenant.tenant_id)


def _run_cli(local_api, path, tenant_id, *, kill_after=None):
    env = {**os.environ, "TABLE_NAME": table_name(), "AWS_ENDPOINT_URL_DYNAMODB": local_api.engine.endpoint}
    command = [sys.executable, "-m", "tools.cli", "import", "members", str(path), "--tenant", tenant_id, "--quiet"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if kill_after is None:
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err.decode()
        return json.loads(out)
    time.sleep(kill_after)
    process.send_signal(signal.SIGKILL)
    process.wait()
    time.sleep(1)  # a transaction the engine had received when the client died commits all the same
    return None


def test_killed_with_sigkill_then_run_again_applies_every_row_once(local_api, bulk_tenant, tmp_path):
    tenant = bulk_tenant
    rows = member_rows(1200)
    path = write_member_file(tmp_path / "members.csv", rows)
    _run_cli(local_api, path, tenant.tenant_id, kill_after=random.Random().uniform(2.5, 6.0))
    done_before = sum(1 for i in tenant_items(tenant.tenant_id) if i["sk"]["S"].startswith("IMPORT#"))
    _clean(tenant.tenant_id)  # whatever was cut off: each row all or nothing
    summary = _run_cli(local_api, path, tenant.tenant_id)
    assert summary["created"] + summary["unchanged"] == len(rows), summary
    assert summary["unchanged"] == done_before and summary["created"] > 0, (summary, done_before)
    items = tenant_items(tenant.tenant_id)
    assert sum(1 for i in items if i["sk"]["S"].startswith("IMPORT#")) == len(rows)
    imported = [i for i in items if i["sk"]["S"] == "TX" and i.get("type", {}).get("S") == "import"]
    assert len(imported) == len(rows)  # every lot exactly once
    _clean(tenant.tenant_id)
    expected = _expected(rows)
    assert _stored(tenant.tenant_id, sorted(expected)) == {k: list(v) for k, v in expected.items()}


def test_malformed_rows_are_reported_by_line_and_the_others_import(tenant, tmp_path):
    ok(201, tenant.integration.post("/members", {"email": "api@example.com", "externalId": "api-1"}))
    good = {"externalId": "g1", "email": "g1@example.com", "lotId": "A", "points": 100, "expiresAt": "2099-01-01"}
    lines = [
        json.dumps(good),  # 1
        json.dumps({**good, "externalId": "g2", "email": "not-an-email"}),  # 2 bad email
        json.dumps({**good, "externalId": "g3", "email": "g3@example.com", "colour": "red"}),  # 3 unknown column
        json.dumps({**good, "points": 101}),  # 4 same (identifier, lotId) as line 1, other data
        json.dumps({**good, "externalId": "g4", "email": "g4@example.com", "points": -5}),  # 5 negative points
        json.dumps({**good, "externalId": "g5", "email": "g5@example.com", "points": "١٢٣"}),  # 6 non-ASCII digits
        json.dumps({**good, "externalId": "g6", "firstName": "x" * (MAX_LINE_BYTES + 10)}),  # 7 a 1 MB line
        json.dumps({**good, "externalId": "api-1", "email": "other@example.com"}),  # 8 held by an API member
        json.dumps({**good, "externalId": "g7", "email": "API@example.com"}),  # 9 email held by an API member
        json.dumps({**good, "externalId": "g8", "email": "g8@example.com", "lotId": "B"}),  # 10 fine
        json.dumps(good),  # 11 the same row again: unchanged
        "[1, 2]",  # 12 not an object
    ]
    path = tmp_path / "members.jsonl"
    path.write_text("\n".join(lines) + "\n")
    report = tmp_path / "members.jsonl.report.csv"
    summary = import_members(path, tenant.tenant_id, workers=2, progress=False, report=report)
    assert (summary.created, summary.unchanged, summary.conflicts, summary.rejected) == (2, 1, 3, 6)
    found = {int(r.split(",")[0]): r.split(",", 3)[1:] for r in report.read_text().splitlines()[1:]}
    assert sorted(found) == [2, 3, 4, 5, 6, 7, 8, 9, 12]
    assert found[2][:2] == ["rejected", "email"]
    assert found[3][:2] == ["rejected", "colour"] and "unknown column" in found[3][2]
    assert found[4][:2] == ["conflict", "lotId"]
    assert found[5][:2] == ["rejected", "points"] and "negative" in found[5][2]
    assert found[6][:2] == ["rejected", "points"]
    assert found[7][0] == "rejected" and "longer than" in found[7][2]
    assert found[8][:2] == ["conflict", "externalId"] and "through the API" in found[8][2]
    assert found[9][:2] == ["conflict", "email"]
    assert found[12][0] == "rejected"
    _clean(tenant.tenant_id)

    csv_path = tmp_path / "members.csv"
    csv_path.write_text("email,lotId,points\nc1@example.com,A,5\nc2@example.com,A,1\uff15\nc3@example.com,A\n")
    summary = import_members(csv_path, tenant.tenant_id, workers=1, progress=False, report=tmp_path / "c.csv")
    assert (summary.created, summary.rejected) == (1, 2)
    rows = (tmp_path / "c.csv").read_text().splitlines()[1:]
    assert sorted(r.split(",")[:3] for r in rows) == [["3", "rejected", "points"], ["4", "rejected", ""]]

    not_csv = tmp_path / "image.png"
    not_csv.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    from tools.exits import Usage

    with pytest.raises(Usage, match="not a CSV or JSON Lines file"):
        import_members(not_csv, tenant.tenant_id, progress=False, report=tmp_path / "p.csv")


def test_import_completed_is_stored_once(tenant):
    imports.complete_import(tenant.tenant_id, "imp-1", {"created": 3, "rowsTotal": 3})
    imports.complete_import(tenant.tenant_id, "imp-1", {"created": 3, "rowsTotal": 3})
    events = ok(200, tenant.read.get("/events?type=import.completed")).json["data"]
    assert len(events) == 1 and events[0]["data"]["importId"] == "imp-1"


def test_imported_lots_expire_like_any_lot_and_qualified_points_make_the_tier(tenant, frozen, tmp_path):
    tiers = [
        {"tierId": "silver", "name": "Silver", "threshold": 0},
        {"tierId": "gold", "name": "Gold", "threshold": 400},
    ]
    ok(200, tenant.admin.patch("/program", {"tiers": tiers}))
    rows = [
        {"externalId": "x1", "lotId": "old", "points": 30, "expiresAt": "2026-04-01", "qualifiedPoints": 500},
        {"externalId": "x1", "lotId": "soon", "points": 40, "expiresAt": "2026-05-10T23:59:59Z"},
        {"externalId": "x1", "lotId": "later", "points": 50, "expiresAt": "2026-06-30"},
        {"externalId": "x2", "lotId": "a", "points": 60, "expiresAt": "2026-05-10", "tierOverride": "silver"},
    ]
    path = tmp_path / "m.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    summary = import_members(path, tenant.tenant_id, workers=2, progress=False, report=tmp_path / "r.csv")
    assert summary.created == 4
    x1 = ok(200, tenant.read.get("/members?externalId=x1")).json["data"][0]
    assert x1["balance"] | {} == {"available": 90, "pending": 0, "redeemed": 0, "expired": 30, "lifetime": 120,
                                  "qualified": 500}  # fmt: skip
    assert x1["tier"]["tierId"] == "gold"
    x2 = ok(200, tenant.read.get("/members?externalId=x2")).json["data"][0]
    assert x2["tier"]["tierId"] == "silver" and x2["tierOverride"] == "silver"
    frozen.advance(days=15)
    from loyalty.services import jobs

    assert jobs.expire_points(tenant_ids=[tenant.tenant_id]) == {"lots": 2, "points": 100, "complete": True}
    x1 = ok(200, tenant.read.get(f"/members/{x1['memberId']}")).data
    assert (x1["balance"]["available"], x1["balance"]["expired"]) == (50, 70)
    ok(201, tenant.integration.post(f"/members/{x1['memberId']}/deductions", {"points": 50, "reason": "spend"}))
    _clean(tenant.tenant_id)
