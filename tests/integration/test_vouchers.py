"""Vouchers over the local API: issue (generated or pooled codes), lookup by id or code, redeem, cancel, lists."""

from loyalty import codes

from tests.support.ledger import assert_ledger_clean, member
from tests.support.local import ok
from tests.support.vouchers import issue, issued, offer


def test_issue_to_a_member_with_a_generated_code_and_look_it_up_both_ways(tenant):
    offer_id = offer(tenant.admin, startDate="2026-01-01T09:00:00Z", endDate="2099-06-30T18:00:00Z")
    ada = tenant.integration.post("/members", {"email": "ada@example.com", "firstName": "Ada", "lastName": "L"}).data
    voucher = issued(tenant.integration, offer_id, memberId=ada["memberId"])
    code = voucher["redemptionCode"]
    assert len(code) == codes.LENGTH and set(code) <= set(codes.ALPHABET)
    assert voucher["status"] == "acquired" and voucher["customerName"] == "Ada L"
    assert (voucher["activationDate"], voucher["expirationDate"]) == ("2026-01-01", "2099-06-30")
    assert (voucher["redeemedAt"], voucher["cancelledAt"], voucher["orderId"]) == (None, None, None)
    by_id = tenant.read.get(f"/vouchers/{voucher['voucherId']}")
    by_code = tenant.read.get(f"/vouchers/{code}")
    assert by_id.status == by_code.status == 200 and by_id.data == by_code.data == voucher
    assert tenant.read.get(f"/offers/{offer_id}/vouchers/{voucher['voucherId']}").data == voucher
    other = offer(tenant.admin)
    assert tenant.read.get(f"/offers/{other}/vouchers/{voucher['voucherId']}").status == 404
    assert tenant.read.get(f"/vouchers/{code.lower()}").data == voucher  # codes are case-insensitive
    assert_ledger_clean(tenant.tenant_id)


def test_issue_rules_and_bad_input_store_nothing(tenant):
    offer_id = offer(tenant.admin, startDate="2026-01-01T00:00:00Z", endDate="2099-12-31T23:59:59Z")
    for body, field in (
        ({}, "memberId"),
        ({"customerName": "A", "activationDate": "2025-12-31"}, "activationDate"),
        ({"customerName": "A", "expirationDate": "2100-01-01"}, "expirationDate"),
        ({"customerName": "A", "activationDate": "2099-01-02", "expirationDate": "2099-01-01"}, "expirationDate"),
        ({"customerName": "A", "expirationDate": "2026-01-02"}, "expirationDate"),  # in the past
        ({"customerName": "A", "expirationDate": "2026-13-01"}, "expirationDate"),
        ({"customerName": "", "memberId": "x"}, "customerName"),
        ({"customerName": "A", "status": "redeemed"}, "status"),
    ):
        reply = tenant.integration.post(f"/offers/{offer_id}/vouchers", body)
        assert reply.status == 400 and reply.code == "validation_error", (body, reply.text)
        assert field in {d["field"] for d in reply.json["error"]["details"]}, reply.text
    assert issue(tenant.integration, offer_id, memberId="nobody").status == 404
    assert issue(tenant.integration, "01ARZ3NDEKTSV4RRFFQ69G5FAV").status == 404
    draft = offer(tenant.admin, status="draft")
    assert issue(tenant.integration, draft).code == "offer_not_active"
    ended = offer(tenant.admin, startDate="2020-01-01T00:00:00Z", endDate="2021-01-01T00:00:00Z")
    assert issue(tenant.integration, ended).code == "offer_not_active"
    future = offer(tenant.admin, startDate="2098-01-01T00:00:00Z")
    assert issue(tenant.integration, future).code == "offer_not_active"
    for offer_id_ in (offer_id, draft, ended, future):
        assert tenant.read.get(f"/offers/{offer_id_}/vouchers").data == []
    narrowed = issued(
        tenant.integration, offer_id, customerName="Bo", activationDate="2098-01-01", expirationDate="2098-12-31"
    )
    assert (narrowed["activationDate"], narrowed["expirationDate"], narrowed["memberId"]) == (
        "2098-01-01",
        "2098-12-31",
        None,
    )
    assert tenant.read.post(f"/offers/{offer_id}/vouchers", {"customerName": "x"}).status == 403
    assert_ledger_clean(tenant.tenant_id)


def test_limits_per_member_and_total_count_issued_vouchers(tenant):
    offer_id = offer(tenant.admin, maxRedemptionsPerMember=2, maxRedemptionsTotal=3)
    m1, m2 = member(tenant.integration, "a@example.com"), member(tenant.integration, "b@example.com")
    first = issued(tenant.integration, offer_id, memberId=m1)
    issued(tenant.integration, offer_id, memberId=m1)
    assert issue(tenant.integration, offer_id, memberId=m1).code == "offer_limit_reached"
    ok(200, tenant.integration.post(f"/vouchers/{first['voucherId']}/cancel"))  # a cancelled voucher keeps its use
    assert issue(tenant.integration, offer_id, memberId=m1).code == "offer_limit_reached"
    issued(tenant.integration, offer_id, memberId=m2)
    assert issue(tenant.integration, offer_id, memberId=m2).code == "offer_limit_reached"  # total of 3
    assert issue(tenant.integration, offer_id, customerName="C").code == "offer_limit_reached"
    assert len(tenant.read.get(f"/offers/{offer_id}/vouchers").data) == 3
    assert_ledger_clean(tenant.tenant_id)


def test_code_pool_adds_once_issues_each_code_once_then_runs_out(tenant):
    offer_id = offer(tenant.admin)
    first = tenant.admin.post(f"/offers/{offer_id}/voucher-codes", {"codes": ["SPRING-A1", "SPRING-A2", "SPRING-A1"]})
    assert first.status == 200, first.text
    assert (first.data["added"], first.data["skipped"]) == (2, 1)
    assert first.data["stock"] == {"total": 2, "available": 2, "issued": 0}
    other = offer(tenant.admin)  # codes are unique per program, across offers
    again = tenant.admin.post(f"/offers/{other}/voucher-codes", {"codes": ["SPRING-A2", "SPRING-B1"]}).data
    assert (again["added"], again["skipped"], again["stock"]["total"]) == (1, 1, 1)
    for bad in (
        ["01ARZ3NDEKTSV4RRFFQ69G5FAV"],
        ["has space"],
        ["abc"],
        [],
        ["x" * 129],
        [f"C{i:04d}" for i in range(1001)],
    ):
        reply = tenant.admin.post(f"/offers/{offer_id}/voucher-codes", {"codes": bad})
        assert reply.status == 400 and reply.code == "validation_error", (bad[:2], reply.text)
    assert tenant.read.get("/vouchers/SPRING-A1").status == 404  # waiting in a pool is not issued
    got = sorted(issued(tenant.integration, offer_id)["redemptionCode"] for _ in range(2))
    assert got == ["SPRING-A1", "SPRING-A2"]
    assert issue(tenant.integration, offer_id).code == "out_of_stock"  # a pooled offer never generates
    again = tenant.admin.post(f"/offers/{offer_id}/voucher-codes", {"codes": ["SPRING-A1", "SPRING-A3"]}).data
    assert (again["added"], again["skipped"]) == (1, 1)  # an issued code never comes back
    assert again["stock"] == {"total": 3, "available": 1, "issued": 2}
    keyed = {"Idempotency-Key": "codes-1"}
    one = tenant.admin.post(f"/offers/{offer_id}/voucher-codes", {"codes": ["K-1111"]}, headers=keyed)
    two = tenant.admin.post(f"/offers/{offer_id}/voucher-codes", {"codes": ["K-1111"]}, headers=keyed)
    assert two.text == one.text and two.headers["idempotent-replayed"] == "true"
    assert tenant.admin.post("/offers/01ARZ3NDEKTSV4RRFFQ69G5FAV/voucher-codes", {"codes": ["Z-1111"]}).status == 404
    assert tenant.integration.post(f"/offers/{offer_id}/voucher-codes", {"codes": ["Z-1111"]}).status == 403
    bulk = tenant.admin.post(f"/offers/{other}/voucher-codes", {"codes": [f"BULK-{i:04d}" for i in range(1000)]})
    assert bulk.data["added"] == 1000 and bulk.data["stock"]["available"] == 1001
    assert_ledger_clean(tenant.tenant_id)


def test_redeem_once_cancel_and_every_refusal(tenant):
    offer_id = offer(tenant.admin)
    voucher = issued(tenant.integration, offer_id)
    code = voucher["redemptionCode"]
    redeemed = tenant.integration.post(f"/vouchers/{code}/redeem", {"orderId": "order-1"})
    assert redeemed.status == 200, redeemed.text
    assert redeemed.data["status"] == "redeemed" and redeemed.data["orderId"] == "order-1"
    assert redeemed.data["redeemedAt"] and redeemed.data["cancelledAt"] is None
    assert tenant.read.get(f"/vouchers/{voucher['voucherId']}").data == redeemed.data
    assert tenant.integration.post(f"/vouchers/{voucher['voucherId']}/redeem").code == "already_redeemed"
    assert tenant.integration.post(f"/vouchers/{code}/cancel").code == "already_redeemed"

    second = issued(tenant.integration, offer_id)
    cancelled = tenant.integration.post(f"/vouchers/{second['voucherId']}/cancel")
    assert cancelled.status == 200 and cancelled.data["status"] == "cancelled" and cancelled.data["cancelledAt"]
    assert tenant.integration.post(f"/vouchers/{second['redemptionCode']}/redeem").code == "voucher_cancelled"
    assert tenant.integration.post(f"/vouchers/{second['redemptionCode']}/cancel").code == "voucher_cancelled"

    later = issued(tenant.integration, offer_id, activationDate="2099-01-01")
    assert tenant.integration.post(f"/vouchers/{later['voucherId']}/redeem").code == "voucher_not_active"
    assert tenant.read.get(f"/vouchers/{later['voucherId']}").data["status"] == "acquired"
    for bad in ({"orderId": ""}, {"orderId": "a b"}, {"extra": 1}):
        assert tenant.integration.post(f"/vouchers/{later['voucherId']}/redeem", bad).status == 400
    assert tenant.integration.post(f"/vouchers/{later['voucherId']}/cancel", {"reason": "x"}).status == 400
    assert tenant.read.post(f"/vouchers/{later['voucherId']}/redeem").status == 403

    keyed = {"Idempotency-Key": "redeem-1"}
    fresh = issued(tenant.integration, offer_id)
    one = tenant.integration.post(f"/vouchers/{fresh['redemptionCode']}/redeem", {"orderId": "o2"}, headers=keyed)
    two = tenant.integration.post(f"/vouchers/{fresh['redemptionCode']}/redeem", {"orderId": "o2"}, headers=keyed)
    assert one.status == 200 and two.text == one.text and two.headers["idempotent-replayed"] == "true"
    other = tenant.integration.post(f"/vouchers/{fresh['redemptionCode']}/redeem", {"orderId": "o3"}, headers=keyed)
    assert other.status == 422
    assert_ledger_clean(tenant.tenant_id)


def test_unknown_and_foreign_codes_answer_one_404(tenant, local_api):
    offer_id = offer(tenant.admin)
    mine = issued(tenant.integration, offer_id)
    stranger = local_api.new_tenant()
    answers = set()
    for client in (stranger.read, stranger.integration):
        for ref in (mine["redemptionCode"], mine["voucherId"], "NOPE-NOPE-NOPE", "01ARZ3NDEKTSV4RRFFQ69G5FAV"):
            for method, path in (("GET", ""), ("POST", "/redeem"), ("POST", "/cancel")):
                if method == "POST" and client is stranger.read:
                    continue
                reply = client.call(method, f"/vouchers/{ref}{path}", {} if method == "POST" else None)
                assert reply.status == 404, reply.text
                answers.add(reply.text)
    assert len(answers) == 1, answers  # same shape and message whatever was asked
    assert stranger.read.get(f"/offers/{offer_id}/vouchers").status == 404
    assert stranger.read.get(f"/offers/{offer_id}/vouchers/{mine['voucherId']}").status == 404
    assert tenant.read.get(f"/vouchers/{mine['voucherId']}").data["status"] == "acquired"


def test_lists_by_status_are_key_conditions_with_full_pages(tenant):
    offer_id = offer(tenant.admin)
    vouchers = [issued(tenant.integration, offer_id) for _ in range(7)]
    for v in vouchers[:3]:
        assert tenant.integration.post(f"/vouchers/{v['voucherId']}/redeem").status == 200
    ok(200, tenant.integration.post(f"/vouchers/{vouchers[3]['voucherId']}/cancel"))

    def walk(query):
        seen, token = [], None
        while True:
            reply = tenant.read.get(
                f"/offers/{offer_id}/vouchers?limit=2{query}" + (f"&nextToken={token}" if token else "")
            )
            assert reply.status == 200, reply.text
            assert len(reply.data) == 2 or not reply.json["nextToken"]  # full pages
            seen += [v["voucherId"] for v in reply.data]
            token = reply.json["nextToken"]
            if not token:
                return seen

    newest_first = [v["voucherId"] for v in reversed(vouchers)]
    assert walk("") == newest_first
    assert walk("&status=redeemed") == newest_first[4:]
    assert walk("&status=cancelled") == [vouchers[3]["voucherId"]]
    assert walk("&status=acquired") == newest_first[:3]
    assert tenant.read.get(f"/offers/{offer_id}/vouchers?status=expired").status == 400
    token = tenant.read.get(f"/offers/{offer_id}/vouchers?limit=1").json["nextToken"]
    assert tenant.read.get(f"/offers/{offer_id}/vouchers?status=acquired&nextToken={token}").status == 400
    assert tenant.read.get("/offers/01ARZ3NDEKTSV4RRFFQ69G5FAV/vouchers").status == 404
    assert_ledger_clean(tenant.tenant_id)


# --- redeem names the voucher's offer (issue 23, seed 004) -------------------------------------------


def test_redeem_with_an_offer_id_only_redeems_a_voucher_of_that_offer(tenant, local_api):
    offer_id, other = offer(tenant.admin), offer(tenant.admin)
    voucher = issued(tenant.integration, offer_id)
    unknown = tenant.integration.post("/vouchers/NOPE-NOPE-NOPE/redeem", {})
    for ref in (voucher["redemptionCode"], voucher["voucherId"]):
        for offer_ref in (other, "01ARZ3NDEKTSV4RRFFQ69G5FAV"):
            reply = tenant.integration.post(f"/vouchers/{ref}/redeem", {"offerId": offer_ref, "orderId": "o-1"})
            assert reply.status == 404 and reply.code == "not_found", reply.text
            assert reply.text == unknown.text  # the same answer as an unknown voucher
    assert tenant.read.get(f"/vouchers/{voucher['voucherId']}").data == voucher  # nothing changed
    for bad in ({"offerId": ""}, {"offerId": 7}, {"offerId": "x" * 129}):
        assert tenant.integration.post(f"/vouchers/{voucher['voucherId']}/redeem", bad).status == 400, bad
    assert tenant.read.get(f"/vouchers/{voucher['voucherId']}").data == voucher
    stranger = local_api.new_tenant()
    foreign = stranger.integration.post(f"/vouchers/{voucher['redemptionCode']}/redeem", {"offerId": offer_id})
    assert foreign.status == 404
    redeemed = tenant.integration.post(
        f"/vouchers/{voucher['redemptionCode']}/redeem", {"offerId": offer_id, "orderId": "o-1"}
    )
    assert redeemed.status == 200 and redeemed.data["status"] == "redeemed", redeemed.text
    assert_ledger_clean(tenant.tenant_id)
