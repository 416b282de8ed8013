"""Exports (contract §14) over DynamoDB Local: members in the import format with their unspent lots, and the
transactions and vouchers as the API lists them, with --from / --to; `loyalty export` streams them to a file."""

import csv
import io
import itertools
import json
import os
import sys
import threading
import time
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from loyalty import clock
from loyalty.services import exports, tenants

from tests.support.ledger import activity, assert_ledger_clean, award, balance
from tests.support.local import Tenant, ok
from tests.support.vouchers import issued, offer
from tools import cli

_numbers = itertools.count(1)


@pytest.fixture
def sharded(local_api):
    """A fresh tenant whose lists have 4 shards: an export merges 4 partitions of each list."""
    tenant_id = f"x{next(_numbers)}-{threading.get_ident() % 10000}"
    tenants.create_tenant(tenant_id, f"Program {tenant_id}", lists=4)
    keys = {scope: tenants.issue_key(tenant_id, [scope]) for scope in ("admin", "integration", "read")}
    clients = {scope: local_api.anonymous(keys[scope]["key"]) for scope in keys}
    return Tenant(tenant_id, clients["admin"], clients["integration"], clients["read"], keys)


def _listed(client, path):
    """Every item of a list route, page after page (newest first, as the routes list)."""
    found, token = [], None
    while True:
        query = {"limit": 100, **({"nextToken": token} if token else {})}
        reply = ok(200, client.get(path + ("&" if "?" in path else "?") + urlencode(query)))
        found += reply.json["data"]
        token = reply.json.get("nextToken")
        if not token:
            return found


def _program(tenant, frozen):
    """Members with lots of several days, spent in part, one without points, one erased, tiers and tags."""
    ok(200, tenant.admin.patch("/program", {"pointsExpiryDays": 30}))
    ok(200, tenant.admin.patch("/program", {"tiers": [{"tierId": "gold", "name": "Gold", "threshold": 100}]}))
    activity(tenant.admin, "visit", points=40, qualifiedPoints=True)
    activity(tenant.admin, "bonus", points=25, qualifiedPoints=False)
    bodies = [
        {"email": "Ann@Example.com", "firstName": "Ann", "lastName": "Lee", "tags": ["vip", "north"]},
        {"externalId": "ext-2", "phone": "+14155550123", "birthdate": "1990-02-03"},
        {"cardId": "CARD-3", "email": "cat@example.com"},
        {"email": "none@example.com"},
        {"email": "gone@example.com"},
    ]
    ids = [ok(201, tenant.integration.post("/members", body)).data["memberId"] for body in bodies]
    ok(200, tenant.admin.patch(f"/members/{ids[2]}", {"tierOverride": "gold"}))
    for _day in range(3):
        for m in ids[:3]:
            ok(201, award(tenant.integration, m, "visit"))
        ok(201, award(tenant.integration, ids[0], "bonus"))
        frozen.advance(days=2)
    ok(201, tenant.integration.post(f"/members/{ids[0]}/deductions", {"points": 50, "reason": "spent"}))
    ok(201, tenant.integration.post(f"/members/{ids[1]}/deductions", {"points": 120, "reason": "spent all"}))
    ok(201, award(tenant.integration, ids[4], "visit"))
    ok(200, tenant.admin.delete(f"/members/{ids[4]}"))
    return ids


def test_members_export_rows_are_the_unspent_lots_in_the_import_format(tenant, frozen):
    ids = _program(tenant, frozen)
    rows = list(exports.export_members(tenant.tenant_id))
    assert all(tuple(row) == exports.MEMBER_COLUMNS for row in rows)
    by_member: dict[str, list] = {}
    for row in rows:
        by_member.setdefault(row["externalId"] or row["email"] or row["cardId"], []).append(row)
    assert set(by_member) == {"Ann@Example.com", "ext-2", "cat@example.com", "none@example.com"}
    ann = by_member["Ann@Example.com"]
    # 3 days of 40 + 25 = 195, 50 spent from the first day's lot: 15, then 65, 65
    assert [(r["points"], r["expiresAt"]) for r in ann] == [
        (15, "2026-05-31T23:59:59Z"),
        (65, "2026-06-02T23:59:59Z"),
        (65, "2026-06-04T23:59:59Z"),
    ]
    assert [r["lotId"] for r in ann] == ["2026-05-31", "2026-06-02", "2026-06-04"]
    assert ann[0]["firstName"] == "Ann" and ann[0]["tags"] == ["vip", "north"] and ann[0]["qualifiedPoints"] == 120
    assert ann[1]["firstName"] is None and ann[1]["email"] == "Ann@Example.com" and ann[1]["qualifiedPoints"] is None
    assert sum(r["points"] for r in ann) == balance(tenant.read, ids[0])["available"]
    assert by_member["ext-2"] == [
        {
            **dict.fromkeys(exports.MEMBER_COLUMNS),
            "externalId": "ext-2",
            "phone": "+14155550123",
            "birthdate": "1990-02-03",
            "tags": [],
            "qualifiedPoints": 120,
        }
    ]
    assert by_member["cat@example.com"][0]["tierOverride"] == "gold"
    assert [r["points"] for r in by_member["none@example.com"]] == [None]


def test_transactions_and_vouchers_exports_hold_what_the_api_lists_within_from_and_to(sharded, frozen):
    tenant = sharded
    _program(tenant, frozen)  # the frozen clock moves 2 days after each round of awards
    offers = [offer(tenant.admin), offer(tenant.admin)]
    members = [ok(201, tenant.integration.post("/members", {"email": f"v{i}@example.com"})).data for i in range(6)]
    for i, m in enumerate(members):
        issued(tenant.integration, offers[i % 2], memberId=m["memberId"])
        issued(tenant.integration, offers[0], customerName=f"Walk-in {i}")
        frozen.advance(hours=5)
    first = issued(tenant.integration, offers[1], memberId=members[0]["memberId"])
    ok(200, tenant.integration.post(f"/vouchers/{first['voucherId']}/redeem", {}))

    listed = list(reversed(_listed(tenant.read, "/transactions")))
    assert list(exports.export_transactions(tenant.tenant_id)) == listed and len(listed) == 15
    window = {"from": listed[3]["createdAt"], "to": listed[9]["createdAt"]}
    within = list(reversed(_listed(tenant.read, "/transactions?" + urlencode(window))))
    assert list(exports.export_transactions(tenant.tenant_id, from_=window["from"], to=window["to"])) == within
    assert 6 <= len(within) < len(listed)

    by_offer = [list(reversed(_listed(tenant.read, f"/offers/{o}/vouchers"))) for o in sorted(offers)]
    everything = list(exports.export_vouchers(tenant.tenant_id))
    assert everything == by_offer[0] + by_offer[1] and len(everything) == 13
    assert any(v["status"] == "redeemed" for v in everything)
    start, end = sorted(v["acquiredAt"] for v in everything)[4], sorted(v["acquiredAt"] for v in everything)[8]
    chosen = list(exports.export_vouchers(tenant.tenant_id, from_=start, to=end))
    assert chosen == [v for v in everything if start <= v["acquiredAt"] <= end] and 5 <= len(chosen) < 13


def _reward(tenant, reward_id="coffee", **fields):
    body = {"rewardId": reward_id, "name": "Coffee", "pointsCost": 10, "fulfillment": "coupon", **fields}
    return ok(201, tenant.admin.post("/rewards", body)).data


@pytest.mark.slow
@pytest.mark.early
def test_codes_import_of_50000_codes_gives_exact_pool_counts_and_again_adds_none(
    local_api, bulk_tenant, tmp_path, monkeypatch, capsys
):
    tenant = bulk_tenant
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", local_api.engine.endpoint)
    _reward(tenant)
    path = tmp_path / "codes.csv"
    lines = ["code", *(f"C-{i:06d}" for i in range(50_000))]
    lines[10] = "has space"  # line 11: not a code the upload route takes
    lines[20] = "x" * 129  # line 21: too long
    lines[30] = "c-000001"  # line 31: the code of line 3 in another case
    lines[40] = "a,b"  # line 41: two cells
    path.write_text("\n".join(lines) + "\n")
    capsys.readouterr()
    started = time.monotonic()
    cli.main(["import", "codes", str(path), "--tenant", tenant.tenant_id, "--reward", "coffee", "--quiet"])
    first = json.loads(capsys.readouterr().out)
    print(f"50,000 codes in {time.monotonic() - started:.1f} s", file=sys.stderr)
    added = 50_000 - 4
    assert (first["created"], first["unchanged"], first["conflicts"], first["rejected"]) == (added, 1, 0, 3)
    assert first["pool"] == {"total": added, "available": added, "issued": 0}
    reward = ok(200, tenant.read.get("/rewards/coffee")).data
    assert reward["stock"] == {"total": added, "available": added, "issued": 0}
    report = list(csv.reader(io.StringIO((tmp_path / "codes.csv.report.csv").read_text())))
    assert sorted(row[:3] for row in report[1:]) == [
        ["11", "rejected", "code"],
        ["21", "rejected", "code"],
        ["41", "rejected", ""],
    ]
    cli.main(["import", "codes", str(path), "--tenant", tenant.tenant_id, "--reward", "coffee", "--quiet"])
    again = json.loads(capsys.readouterr().out)
    assert (again["created"], again["unchanged"], again["rejected"]) == (0, added + 1, 3)
    assert ok(200, tenant.read.get("/rewards/coffee")).data["stock"] == reward["stock"]


def _members_by_key(client):
    """Every member by its first identifier, with what an import carries over."""
    shown = {}
    for m in _listed(client, "/members"):
        if m.get("erasedAt"):
            continue  # not exported: its personal data is gone
        key = next(m[name] for name in ("externalId", "email", "phone", "cardId") if m.get(name))
        shown[key.lower()] = {
            **{name: m.get(name) for name in ("externalId", "email", "phone", "cardId", "firstName", "lastName")},
            **{name: m.get(name) for name in ("birthdate", "tags", "tierOverride", "tier")},
            "available": m["balance"]["available"],
            "qualified": m["balance"]["qualified"],
        }
    return shown


def _by_identifier(rows):
    """Export rows ordered by member (first identifier) and lot: a fresh tenant enrols the members in its own order."""
    return sorted(rows, key=lambda row: (row["externalId"] or row["email"] or row["cardId"], row["lotId"] or ""))


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_then_import_into_a_fresh_tenant_gives_the_same_members_and_balances(
    local_api, tenant, frozen, fmt, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", local_api.engine.endpoint)
    _program(tenant, frozen)
    fresh = local_api.new_tenant()
    ok(200, fresh.admin.patch("/program", {"tiers": [{"tierId": "gold", "name": "Gold", "threshold": 100}]}))
    path = tmp_path / f"members.{fmt}"
    capsys.readouterr()
    cli.main(["export", "members", "--tenant", tenant.tenant_id, "--format", fmt, "-o", str(path), "--quiet"])
    exported = json.loads(capsys.readouterr().out)
    assert exported["rows"] == 3 + 1 + 3 + 1 and exported["file"] == str(path)
    assert not (tmp_path / f"members.{fmt}.partial").exists()
    cli.main(["import", "members", str(path), "--tenant", fresh.tenant_id, "--quiet"])
    imported = json.loads(capsys.readouterr().out)
    assert (imported["created"], imported["rejected"], imported["conflicts"]) == (8, 0, 0), imported
    assert _members_by_key(fresh.read) == _members_by_key(tenant.read)
    # every unspent lot with its points and expiry date (an export reads them from the lots themselves)
    assert _by_identifier(exports.export_members(fresh.tenant_id)) == _by_identifier(
        exports.export_members(tenant.tenant_id)
    )
    assert_ledger_clean(fresh.tenant_id)


def test_export_to_stdout_in_csv_and_a_bad_range(local_api, tenant, frozen, monkeypatch, capsys):
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", local_api.engine.endpoint)
    ids = _program(tenant, frozen)
    capsys.readouterr()
    cli.main(["export", "transactions", "--tenant", tenant.tenant_id, "--quiet"])
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out)))
    assert tuple(rows[0]) == exports.columns("transactions") and len(rows) == 15
    assert json.loads(err)["rows"] == 15
    assert rows[-1]["type"] == "award" and rows[-1]["memberId"] == ids[4] and rows[0]["balanceAfter.available"] == "40"
    with pytest.raises(SystemExit) as refused:
        cli.main(["export", "members", "--tenant", tenant.tenant_id, "--from", "yesterday", "--quiet"])
    assert refused.value.code == 3 and "from" in capsys.readouterr().err
    cli.main(["export", "members", "--tenant", tenant.tenant_id, "--to", "2020-01-01T00:00:00Z", "--quiet"])
    assert capsys.readouterr().out == ",".join(exports.MEMBER_COLUMNS) + "\n"  # enrolled later: the header alone
    now = clock.iso(clock.now())  # 6 days after the members above were enrolled
    ok(201, tenant.integration.post("/members", {"email": "late@example.com"}))
    assert [row["email"] for row in exports.export_members(tenant.tenant_id, from_=now)] == ["late@example.com"]
    earlier = clock.iso(clock.now() - timedelta(seconds=1))  # `to` includes its whole second: `now` is late's
    before = [row["email"] for row in exports.export_members(tenant.tenant_id, to=earlier)]
    assert "late@example.com" not in before and "none@example.com" in before


def test_codes_import_into_offer_and_promo_pools_judges_each_code(local_api, tenant, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", local_api.engine.endpoint)
    spring, autumn = offer(tenant.admin), offer(tenant.admin)
    ok(200, tenant.admin.post(f"/offers/{autumn}/voucher-codes", {"codes": ["AUT-1"]}))
    activity(tenant.admin, "promo", points=5)
    ok(201, tenant.admin.post("/promo-codes", {"code": "flyer", "activityId": "promo", "singleUse": True}))
    ok(201, tenant.admin.post("/promo-codes", {"code": "shared", "activityId": "promo"}))
    vouchers_file = tmp_path / "vouchers.jsonl"
    vouchers_file.write_text(
        "\n".join(
            [
                '{"code": "spr-1"}',
                '{"code": "SPR-2"}',
                '{"code": "aut-1"}',  # line 3: autumn's
                '{"code": "01KQHC8AM0BYXC694Q2D064732"}',  # line 4: shaped like a voucher id
                '{"code": "spr-1"}',  # line 5: repeats line 1
                '{"code": "SPR-3", "note": "x"}',  # line 6: unknown column
                "[1]",  # line 7: not an object
                '{"code": 42}',  # line 8: not a string
            ]
        )
        + "\n"
    )
    capsys.readouterr()
    cli.main(["import", "codes", str(vouchers_file), "--tenant", tenant.tenant_id, "--offer", spring, "--quiet"])
    summary = json.loads(capsys.readouterr().out)
    assert (summary["created"], summary["unchanged"], summary["conflicts"], summary["rejected"]) == (2, 1, 1, 4)
    assert summary["pool"] == {"total": 2, "available": 2, "issued": 0}
    report_text = (tmp_path / "vouchers.jsonl.report.csv").read_text()
    report = {row["line"]: row for row in csv.DictReader(io.StringIO(report_text))}
    assert sorted(report) == ["3", "4", "6", "7", "8"]
    assert report["3"]["status"] == "conflict" and autumn in report["3"]["reason"]
    assert report["4"]["reason"] == "must not look like a voucher id" and report["6"]["field"] == "note"
    v = issued(tenant.integration, spring, customerName="Walk-in")
    assert v["redemptionCode"] in ("SPR-1", "SPR-2")
    cli.main(["import", "codes", str(vouchers_file), "--tenant", tenant.tenant_id, "--offer", spring, "--quiet"])
    again = json.loads(capsys.readouterr().out)
    assert (again["created"], again["unchanged"], again["conflicts"]) == (0, 3, 1)  # an issued code stays known
    assert again["pool"] == {"total": 2, "available": 1, "issued": 1}

    promo_file = tmp_path / "promo.csv"
    promo_file.write_text("code\nfl-1\nFL-2\nflyer\nshared\nspr-2\nbad code\n")
    cli.main(["import", "codes", str(promo_file), "--tenant", tenant.tenant_id, "--promo", "FLYER", "--quiet"])
    summary = json.loads(capsys.readouterr().out)
    # flyer: the promotion's own code, shared: another promotion's; spr-2 is a voucher code (another namespace)
    assert (summary["created"], summary["conflicts"], summary["rejected"]) == (3, 2, 1)
    got = ok(200, tenant.read.get("/promo-codes/flyer")).data
    assert got["pool"] == {"total": 3, "available": 3, "issued": 0}
    with pytest.raises(SystemExit) as refused:
        cli.main(["import", "codes", str(promo_file), "--tenant", tenant.tenant_id, "--promo", "shared", "--quiet"])
    assert refused.value.code == 3 and "invalid_state" in capsys.readouterr().err
    with pytest.raises(SystemExit) as refused:
        cli.main(["import", "codes", str(promo_file), "--tenant", tenant.tenant_id, "--reward", "nope", "--quiet"])
    assert refused.value.code == 3 and "not_found" in capsys.readouterr().err


def test_an_interrupted_export_leaves_no_file(local_api, tenant, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", local_api.engine.endpoint)
    for i in range(3):
        ok(201, tenant.integration.post("/members", {"email": f"i{i}@example.com"}))
    real = exports.export_members

    def interrupted(*args, **kwargs):
        rows = real(*args, **kwargs)
        yield next(rows)
        rows.close()
        raise KeyboardInterrupt  # Ctrl-C after the first row

    monkeypatch.setattr(exports, "export_members", interrupted)
    path = tmp_path / "members.csv"
    with pytest.raises(SystemExit) as stopped:
        cli.main(["export", "members", "--tenant", tenant.tenant_id, "-o", str(path), "--quiet"])
    assert stopped.value.code == 130 and json.loads(capsys.readouterr().out)["interrupted"] is True
    assert list(tmp_path.iterdir()) == []  # neither the file nor its .partial
    monkeypatch.setattr(exports, "export_members", real)
    cli.main(["export", "members", "--tenant", tenant.tenant_id, "-o", str(path), "--quiet"])
    assert json.loads(capsys.readouterr().out)["rows"] == 3 and len(path.read_text().splitlines()) == 4


def test_an_output_or_report_file_that_cannot_be_written_is_one_line_and_status_2(
    local_api, tenant, tmp_path, monkeypatch, capsys
):
    """`-o` or `--report` in a folder that does not exist ended in a FileNotFoundError traceback; like every other
    failure of the CLI it is one `error:` line and an exit status (2: a wrong argument), and nothing is imported."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", local_api.engine.endpoint)
    missing = tmp_path / "no-such-folder"
    with pytest.raises(SystemExit) as refused:
        cli.main(["export", "members", "--tenant", tenant.tenant_id, "-o", str(missing / "m.csv"), "--quiet"])
    err = capsys.readouterr().err
    assert refused.value.code == 2 and err.startswith("error: ") and str(missing) in err and len(err.splitlines()) == 1
    members = tmp_path / "members.csv"
    members.write_text("externalId,lotId,points\nrep-1,L1,5\n")
    with pytest.raises(SystemExit) as refused:
        cli.main(
            ["import", "members", str(members), "--tenant", tenant.tenant_id, "--report", str(missing / "r.csv"),
             "--quiet"]
        )  # fmt: skip
    err = capsys.readouterr().err
    assert refused.value.code == 2 and err.startswith("error: ") and len(err.splitlines()) == 1
    assert ok(200, tenant.read.get("/members?externalId=rep-1")).data == []
    for same in (str(members), str(tmp_path / "." / "members.csv")):  # the report would overwrite the file read
        with pytest.raises(SystemExit) as refused:
            cli.main(["import", "members", str(members), "--tenant", tenant.tenant_id, "--report", same, "--quiet"])
        err = capsys.readouterr().err
        assert refused.value.code == 2 and "would overwrite it" in err and len(err.splitlines()) == 1
    assert members.read_text() == "externalId,lotId,points\nrep-1,L1,5\n"
    bad = tmp_path / "bad.csv"
    bad.write_text("externalId,lotId,points\nrep-2,L1,-5\n")  # a rejected row: the report has a line to write
    if os.path.exists("/dev/full"):  # a full disk: one line, no traceback
        with pytest.raises(SystemExit) as refused:
            cli.main(["import", "members", str(bad), "--tenant", tenant.tenant_id, "--report", "/dev/full", "--quiet"])
        err = capsys.readouterr().err
        assert (
            refused.value.code == 2
            and err.startswith("error: a file could not be written")
            and len(err.splitlines()) == 1
        )


def test_an_export_to_a_pipe_whose_reader_has_gone_stops_quietly(local_api, tenant, monkeypatch, capsys):
    """`loyalty export ... | head -1` ended in a BrokenPipeError traceback (and another on the exit's flush): a
    reader that stops reading is no failure; the export stops as a SIGPIPE would stop it (status 141), silently."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", local_api.engine.endpoint)
    for i in range(3):
        ok(201, tenant.integration.post("/members", {"email": f"pipe{i}@example.com"}))
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone
    monkeypatch.setattr(sys, "stdout", open(write_end, "w", buffering=1))
    capsys.readouterr()
    with pytest.raises(SystemExit) as stopped:
        cli.main(["export", "members", "--tenant", tenant.tenant_id, "--quiet"])
    assert stopped.value.code == 141 and capsys.readouterr().err == ""
    sys.stdout.close()  # its descriptor now writes to /dev/null: no error on the flush
