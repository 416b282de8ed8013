"""The member's wallet over the local API: GET /members/{id}/vouchers across offers, by status, paged; its entries."""

import json
from typing import Any

import pytest
from loyalty.repository import store
from loyalty.repository import vouchers as vouchers_db
from loyalty.repository import wallet as wallet_db
from loyalty.services import checker
from loyalty.services import vouchers as vouchers_service

from tests.support.concurrency import at_once
from tests.support.ledger import assert_ledger_clean, member
from tests.support.vouchers import issue, issued, offer
from tools import cli


def _wallet(client: Any, member_id: str, query: str = "") -> list[dict[str, Any]]:
    """Every voucher of the member's wallet, page after page (nextToken), in the order served."""
    found: list[dict[str, Any]] = []
    token = ""
    while True:
        reply = client.get(f"/members/{member_id}/vouchers?{query}{token}")
        assert reply.status == 200, reply.text
        found += reply.data
        if not reply.json["nextToken"]:
            return found
        token = f"&nextToken={reply.json['nextToken']}"


def _ids(vouchers: list[dict[str, Any]]) -> list[str]:
    return [voucher["voucherId"] for voucher in vouchers]


def test_a_members_vouchers_across_offers_newest_first_by_status_and_paged(tenant, local_api):
    first, second = offer(tenant.admin), offer(tenant.admin)
    ada, bob = member(tenant.integration, "ada@example.com"), member(tenant.integration, "bob@example.com")
    mine = [issued(tenant.integration, offer_id, memberId=ada) for offer_id in (first, second, first, second, second)]
    theirs = issued(tenant.integration, first, memberId=bob)
    issued(tenant.integration, second, customerName="Walk-in")  # a named customer: no member, no wallet
    stranger = local_api.new_tenant()
    strangers = member(stranger.integration, "ada@example.com")
    issued(stranger.integration, offer(stranger.admin), memberId=strangers)

    newest_first = sorted(_ids(mine), reverse=True)
    assert _ids(_wallet(tenant.read, ada)) == newest_first
    assert _wallet(tenant.read, ada) == [tenant.read.get(f"/vouchers/{v}").data for v in newest_first]
    assert {v["offerId"] for v in _wallet(tenant.read, ada)} == {first, second}
    assert _ids(_wallet(tenant.read, ada, "limit=2")) == newest_first  # paged by nextToken, nothing lost or twice
    page = tenant.read.get(f"/members/{ada}/vouchers?limit=2")
    assert len(page.data) == 2 and page.json["nextToken"]
    assert _ids(_wallet(tenant.read, bob)) == [theirs["voucherId"]]
    assert _ids(_wallet(stranger.read, strangers)) != [] and not set(_ids(_wallet(stranger.read, strangers))) & set(
        newest_first
    )

    # the entry's status follows redeem and cancel, in the list and in the status filter
    redeemed, cancelled = mine[1]["voucherId"], mine[3]["voucherId"]
    assert tenant.integration.post(f"/vouchers/{redeemed}/redeem", {"orderId": "o-1"}).status == 200
    assert tenant.integration.post(f"/vouchers/{mine[3]['redemptionCode']}/cancel", {}).status == 200
    shown = {v["voucherId"]: v for v in _wallet(tenant.read, ada)}
    assert (shown[redeemed]["status"], shown[redeemed]["orderId"]) == ("redeemed", "o-1")
    assert (shown[cancelled]["status"], bool(shown[cancelled]["cancelledAt"])) == ("cancelled", True)
    by_status = {
        s: _ids(_wallet(tenant.read, ada, f"status={s}&limit=1&")) for s in ("acquired", "redeemed", "cancelled")
    }
    assert by_status == {
        "acquired": [v for v in newest_first if v not in (redeemed, cancelled)],
        "redeemed": [redeemed],
        "cancelled": [cancelled],
    }
    assert _ids(_wallet(tenant.read, bob, "status=redeemed&")) == []
    assert_ledger_clean(tenant.tenant_id)


def test_unknown_member_bad_status_and_foreign_member_answer_4xx(tenant, local_api):
    ada = member(tenant.integration, "ada@example.com")
    issued(tenant.integration, offer(tenant.admin), memberId=ada)
    stranger = local_api.new_tenant()
    assert stranger.read.get(f"/members/{ada}/vouchers").status == 404  # another tenant's member
    assert tenant.read.get("/members/01ARZ3NDEKTSV4RRFFQ69G5FAV/vouchers").status == 404
    for query in ("status=used", "status=", "limit=0", "limit=101", "nextToken=forged"):
        reply = tenant.read.get(f"/members/{ada}/vouchers?{query}")
        assert reply.status == 400, (query, reply.text)
    member_without = member(tenant.integration, "empty@example.com")
    assert tenant.read.get(f"/members/{member_without}/vouchers").data == []  # a member with none: an empty page


def test_the_checker_sees_a_missing_or_stale_entry_and_the_backfill_restores_it(tenant, capsys):
    offer_id = offer(tenant.admin)
    ada = member(tenant.integration, "ada@example.com")
    older, newer = (issued(tenant.integration, offer_id, memberId=ada) for _ in range(2))
    entry = wallet_db.entry_key(tenant.tenant_id, ada, older["voucherId"])
    store.transact([store.delete(entry)])  # as a voucher issued before the wallet existed
    problems = checker.check([tenant.tenant_id])["problems"]
    assert [p["problem"] for p in problems] == ["a member's voucher missing from the member's wallet"]
    assert _ids(_wallet(tenant.read, ada)) == [newer["voucherId"]]

    assert vouchers_service.backfill_wallet(tenant.tenant_id) == {"vouchers": 2, "written": 1, "present": 1}
    cli.main(["backfill-wallet", "--tenant", tenant.tenant_id])  # the operator command: a second run writes nothing
    assert json.loads(capsys.readouterr().out) == {tenant.tenant_id: {"vouchers": 2, "written": 0, "present": 2}}
    assert _ids(_wallet(tenant.read, ada)) == [newer["voucherId"], older["voucherId"]]
    assert_ledger_clean(tenant.tenant_id)

    # a move of a voucher whose entry is missing makes the entry whole
    store.transact([store.delete(entry)])
    assert tenant.integration.post(f"/vouchers/{older['voucherId']}/redeem", {}).status == 200
    assert _wallet(tenant.read, ada, "status=redeemed&") == [tenant.read.get(f"/vouchers/{older['voucherId']}").data]
    assert_ledger_clean(tenant.tenant_id)

    store.transact([store.update(entry, set_values={"status": "acquired"})])  # an entry that did not follow
    problems = checker.check([tenant.tenant_id])["problems"]
    assert [p["problem"] for p in problems] == ["a wallet entry whose status differs from its voucher's"]


def test_erasure_blanks_the_name_on_the_members_wallet_entries(tenant):
    offer_id = offer(tenant.admin)
    ada = tenant.integration.post("/members", {"email": "ada@example.com", "firstName": "Ada", "lastName": "L"}).data
    voucher = issued(tenant.integration, offer_id, memberId=ada["memberId"])
    assert _wallet(tenant.read, ada["memberId"])[0]["customerName"] == "Ada L"
    assert tenant.admin.delete(f"/members/{ada['memberId']}").status == 200
    entries = wallet_db.entries(tenant.tenant_id, ada["memberId"])
    assert [(e["voucherId"], e["customerName"]) for e in entries] == [(voucher["voucherId"], None)]
    assert _wallet(tenant.read, ada["memberId"])[0]["customerName"] is None
    # a cancel that read the voucher before the erasure and commits after it does not bring the name back
    cancelled = {"status": "cancelled", "cancelledAt": "2026-12-06T00:00:00Z"}
    store.transact(vouchers_db.move(tenant.tenant_id, voucher, cancelled))
    assert tenant.read.get(f"/vouchers/{voucher['voucherId']}").data["customerName"] is None
    assert wallet_db.entries(tenant.tenant_id, ada["memberId"])[0]["customerName"] is None
    assert_ledger_clean(tenant.tenant_id)


# --- odd input (issue 23 item 2): page sizes at the edges, tokens of other lists, erased members, races ---


def _token(client: Any, path: str) -> str:
    """The nextToken of the first page of `path` (which must have a second page)."""
    reply = client.get(path)
    assert reply.status == 200 and reply.json["nextToken"], reply.text
    return str(reply.json["nextToken"])


def test_page_sizes_1_and_100_walk_vouchers_of_three_offers_and_the_edges_answer_400(tenant):
    offers = [offer(tenant.admin) for _ in range(3)]
    ada = member(tenant.integration, "ada@example.com")
    mine = [issued(tenant.integration, offers[i % 3], memberId=ada)["voucherId"] for i in range(7)]
    newest_first = sorted(mine, reverse=True)
    one_by_one = _wallet(tenant.read, ada, "limit=1&")
    assert _ids(one_by_one) == newest_first and {v["offerId"] for v in one_by_one} == set(offers)
    whole = tenant.read.get(f"/members/{ada}/vouchers?limit=100")
    assert (_ids(whole.data), whole.json["nextToken"]) == (newest_first, None)
    assert _ids(_wallet(tenant.read, ada, "limit=7&")) == newest_first  # a last page exactly full
    assert _ids(_wallet(tenant.read, ada, "status=acquired&limit=1&")) == newest_first
    for query in ("limit=0", "limit=101", "limit=-1", "limit=1.5", "limit=ten", "limit=", "limit=1&limit=2"):
        reply = tenant.read.get(f"/members/{ada}/vouchers?{query}")
        assert (reply.status, reply.code) == (400, "validation_error"), (query, reply.text)


def test_a_bad_status_and_a_token_of_another_list_member_filter_or_tenant_answer_400(tenant, local_api):
    offer_id = offer(tenant.admin)
    ada, bob = member(tenant.integration, "ada@example.com"), member(tenant.integration, "bob@example.com")
    for owner in (ada, ada, bob, bob):
        issued(tenant.integration, offer_id, memberId=owner)
    stranger = local_api.new_tenant()
    strangers = member(stranger.integration, "ada@example.com")
    for _ in range(2):
        issued(stranger.integration, offer(stranger.admin), memberId=strangers)

    for status in ("used", "expired", "REDEEMED", "Acquired", "acquired,redeemed", "%20acquired", "null"):
        reply = tenant.read.get(f"/members/{ada}/vouchers?status={status}")
        assert (reply.status, reply.code) == (400, "validation_error"), (status, reply.text)
    adas = _token(tenant.read, f"/members/{ada}/vouchers?limit=1")
    foreign = {
        "bob's wallet": (tenant.read, f"/members/{bob}/vouchers?nextToken={adas}&limit=1"),
        "ada's wallet by status": (tenant.read, f"/members/{ada}/vouchers?status=acquired&nextToken={adas}"),
        "the offer's vouchers": (tenant.read, f"/offers/{offer_id}/vouchers?nextToken={adas}"),
        "another tenant's member": (stranger.read, f"/members/{strangers}/vouchers?nextToken={adas}"),
        "ada's wallet, token of the offer": (
            tenant.read,
            f"/members/{ada}/vouchers?nextToken={_token(tenant.read, f'/offers/{offer_id}/vouchers?limit=1')}",
        ),
        "ada's wallet, token of another tenant": (
            tenant.read,
            f"/members/{ada}/vouchers?nextToken={_token(stranger.read, f'/members/{strangers}/vouchers?limit=1')}",
        ),
        "ada's wallet, token altered": (tenant.read, f"/members/{ada}/vouchers?nextToken={adas[:-2]}{adas[-2:][::-1]}"),
        "ada's wallet, token cut short": (tenant.read, f"/members/{ada}/vouchers?nextToken={adas[:-4]}"),
    }
    for name, (client, path) in foreign.items():
        reply = client.get(path)
        assert (reply.status, reply.code) == (400, "validation_error"), (name, reply.text)
    assert (
        tenant.read.get(f"/members/{ada}/vouchers?limit=1&nextToken={adas}").status == 200
    )  # the token itself is good
    unknown = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
    for path in (f"/members/{unknown}/vouchers?status=redeemed", f"/members/{strangers}/vouchers?status=acquired"):
        reply = tenant.read.get(path)
        assert (reply.status, reply.code) == (404, "not_found"), (path, reply.text)


def test_an_erased_members_wallet_keeps_its_vouchers_nameless_and_still_follows_their_moves(tenant):
    offers = [offer(tenant.admin) for _ in range(2)]
    body = {"email": "ada@example.com", "firstName": "Ada", "lastName": "L"}
    ada = tenant.integration.post("/members", body).data["memberId"]
    mine = [issued(tenant.integration, offers[i % 2], memberId=ada)["voucherId"] for i in range(3)]
    assert tenant.admin.delete(f"/members/{ada}").status == 200
    wallet = _wallet(tenant.read, ada, "limit=1&")
    assert _ids(wallet) == sorted(mine, reverse=True)
    assert {v["customerName"] for v in wallet} == {None}
    refused = tenant.integration.post(f"/offers/{offers[0]}/vouchers", {"memberId": ada})
    assert (refused.status, refused.code) == (409, "invalid_state"), refused.text
    assert tenant.integration.post(f"/vouchers/{mine[0]}/redeem", {"orderId": "o-1"}).status == 200
    assert tenant.integration.post(f"/vouchers/{mine[1]}/cancel", {}).status == 200
    assert _ids(_wallet(tenant.read, ada, "status=redeemed&")) == [mine[0]]
    assert _ids(_wallet(tenant.read, ada, "status=cancelled&")) == [mine[1]]
    assert _ids(_wallet(tenant.read, ada, "status=acquired&")) == [mine[2]]
    assert {v["customerName"] for v in _wallet(tenant.read, ada)} == {None}
    assert_ledger_clean(tenant.tenant_id)


@pytest.mark.xdist_group("concurrency")
def test_vouchers_issued_to_a_member_while_others_page_its_wallet_appear_once_each(local_api, tenant):
    """20 issues to one member from two offers at once with 6 walks of its wallet (3 a page): each walk
    sees every voucher issued before, once, newest first, plus some of the new ones; the wallet after,
    all of them."""
    offers = [offer(tenant.admin) for _ in range(2)]
    ada = member(tenant.integration, "ada@example.com")
    before = [issued(tenant.integration, offers[i % 2], memberId=ada)["voucherId"] for i in range(10)]
    issues, walks = 20, 6

    def call(i: int) -> Any:
        if i < issues:
            return issue(tenant.integration, offers[i % 2], memberId=ada)
        return _wallet(tenant.read, ada, "limit=3&")  # its first request joins the burst, the rest follow

    replies = at_once(local_api, issues + walks, call)
    new = [reply.data["voucherId"] for reply in replies[:issues] if reply.status == 201]
    assert len(new) == issues, [r.text for r in replies[:issues] if r.status != 201]
    for walk in replies[issues:]:
        seen = _ids(walk)
        assert len(seen) == len(set(seen)) and seen == sorted(seen, reverse=True), seen
        assert set(before) <= set(seen) <= set(before) | set(new), seen
    assert _ids(_wallet(tenant.read, ada, "limit=3&")) == sorted(before + new, reverse=True)
    assert_ledger_clean(tenant.tenant_id)
