"""Exports (contract §14) over DynamoDB Local: members in the import format with their unspent lots, and the
transactions and vouchers as the API lists them, with --from / --to; `loyalty export` streams them to a file."""

import itertools
import threading
from urllib.parse import urlencode

import pytest
from loyalty.services import exports, tenants

from tests.support.ledger import activity, award, balance
from tests.support.local import Tenant, ok
from tests.support.vouchers import issued, offer

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
