"""Referrals over the local API: POST /members/{id}/referral with its awards, GET /members/{id}/referrals, the
code guards and their backfill, the refusals, and the races of §10 (one referral per member, counts exact)."""

import json
from collections import Counter
from typing import Any

import pytest
from loyalty.repository import referrals as referrals_db
from loyalty.repository import store
from loyalty.services import checker
from loyalty.services import referrals as referrals_service

from tests.support.concurrency import at_once
from tests.support.ledger import activity, assert_ledger_clean, balance
from tests.support.local import ok, tenant_digest
from tools import cli

UNKNOWN_MEMBER = "01ARZ3NDEKTSV4RRFFQ69G5FAV"


def enrol(client: Any, email: str) -> dict[str, Any]:
    return ok(201, client.post("/members", {"email": email})).data


def refer(client: Any, member_id: str, code: str, **kw: Any) -> Any:
    return client.post(f"/members/{member_id}/referral", {"referralCode": code}, **kw)


def referral_program(tenant: Any, **settings: Any) -> None:
    activity(tenant.admin, "referrer", points=100, **settings.pop("referrer", {}))
    activity(tenant.admin, "referee", points=50, **settings.pop("referee", {}))
    body = {"referrerActivityId": "referrer", "refereeActivityId": "referee", **settings}
    ok(200, tenant.admin.patch("/program", body))


def referrals_of(client: Any, member_id: str, page: int = 100) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    token = ""
    while True:
        reply = ok(200, client.get(f"/members/{member_id}/referrals?limit={page}{token}"))
        found += reply.data
        if not reply.json["nextToken"]:
            return found
        token = f"&nextToken={reply.json['nextToken']}"


def test_a_referral_awards_both_members_in_its_transaction(tenant):
    referral_program(tenant, referee={"approvalMethod": "manual"})
    ada, ben = enrol(tenant.integration, "ada@example.com"), enrol(tenant.integration, "ben@example.com")
    key = {"Idempotency-Key": "ben-referred"}
    reply = refer(tenant.integration, ben["memberId"], ada["referralCode"].lower(), headers=key)  # case-insensitive
    assert reply.status == 201, reply.text
    made = reply.data
    assert (made["referrerId"], made["refereeId"]) == (ada["memberId"], ben["memberId"])
    assert len(made["transactionIds"]) == 2
    to_ada, to_ben = (ok(200, tenant.read.get(f"/transactions/{tx}")).data for tx in made["transactionIds"])
    assert (to_ada["memberId"], to_ada["activityId"], to_ada["points"], to_ada["status"]) == (
        ada["memberId"],
        "referrer",
        100,
        "approved",
    )
    assert (to_ben["memberId"], to_ben["activityId"], to_ben["points"], to_ben["status"]) == (
        ben["memberId"],
        "referee",
        50,
        "pending",  # the referee activity's approval method: manual
    )
    assert balance(tenant.read, ada["memberId"])["available"] == 100
    assert balance(tenant.read, ben["memberId"])["pending"] == 50
    ada_now, ben_now = (tenant.read.get(f"/members/{m['memberId']}").data for m in (ada, ben))
    assert ben_now["referredBy"] == {"memberId": ada["memberId"], "at": made["at"]} and ben_now["referralCount"] == 0
    assert ada_now["referralCount"] == 1 and ada_now["referredBy"] is None
    assert referrals_of(tenant.read, ada["memberId"]) == [made]
    assert referrals_of(tenant.read, ben["memberId"]) == []
    # the same Idempotency-Key and body: the first answer, nothing twice
    again = refer(tenant.integration, ben["memberId"], ada["referralCode"].lower(), headers=key)
    assert (again.status, again.text, again.headers.get("idempotent-replayed")) == (201, reply.text, "true")
    other_body = refer(tenant.integration, ben["memberId"], ada["referralCode"], headers=key)
    assert (other_body.status, other_body.code) == (422, "idempotency_key_reused")
    assert tenant.read.get(f"/members/{ada['memberId']}").data["referralCount"] == 1
    ok(200, tenant.admin.post(f"/transactions/{to_ben['transactionId']}/approve"))
    assert balance(tenant.read, ben["memberId"])["available"] == 50
    assert_ledger_clean(tenant.tenant_id)


def test_without_referral_activities_the_referral_still_counts(tenant):
    ada, ben = enrol(tenant.integration, "ada@example.com"), enrol(tenant.integration, "ben@example.com")
    made = ok(201, refer(tenant.integration, ben["memberId"], ada["referralCode"])).data
    assert made["transactionIds"] == []
    assert tenant.read.get(f"/members/{ada['memberId']}").data["referralCount"] == 1
    assert tenant.read.get(f"/members/{ben['memberId']}/transactions").data == []
    assert_ledger_clean(tenant.tenant_id)


def test_each_conflict(tenant):
    referral_program(tenant)
    ada, ben, cy, dee = (enrol(tenant.integration, f"{n}@example.com") for n in ("ada", "ben", "cy", "dee"))
    ok(201, refer(tenant.integration, ben["memberId"], ada["referralCode"]))
    cases = {
        "already referred": (ben["memberId"], cy["referralCode"], "already_referred"),
        "own code": (cy["memberId"], cy["referralCode"], "self_referral"),
        "the member it referred": (ada["memberId"], ben["referralCode"], "self_referral"),
    }
    digest = tenant_digest(tenant.tenant_id)
    for name, (member_id, code, wanted) in cases.items():
        reply = refer(tenant.integration, member_id, code)
        assert (reply.status, reply.code) == (409, wanted), (name, reply.text)
    assert tenant_digest(tenant.tenant_id) == digest
    ok(200, tenant.admin.delete(f"/members/{dee['memberId']}"))  # an erased member can't be referred
    digest = tenant_digest(tenant.tenant_id)
    reply = refer(tenant.integration, dee["memberId"], cy["referralCode"])
    assert (reply.status, reply.code) == (409, "invalid_state")
    assert tenant_digest(tenant.tenant_id) == digest  # nothing stored on any 409
    assert_ledger_clean(tenant.tenant_id)


def test_unknown_foreign_and_erased_codes_are_not_found(local_api, tenant):
    referral_program(tenant)
    ada, ben, cy = (enrol(tenant.integration, f"{n}@example.com") for n in ("ada", "ben", "cy"))
    other = local_api.new_tenant()
    foreign = enrol(other.integration, "zed@example.com")
    ok(200, tenant.admin.delete(f"/members/{cy['memberId']}"))
    digest = tenant_digest(tenant.tenant_id)
    for code in ("ZZZZZZZZZZ", foreign["referralCode"], cy["referralCode"]):
        reply = refer(tenant.integration, ben["memberId"], code)
        assert (reply.status, reply.code) == (404, "not_found"), (code, reply.text)
    reply = refer(tenant.integration, UNKNOWN_MEMBER, ada["referralCode"])
    assert (reply.status, reply.code) == (404, "not_found")
    reply = refer(other.integration, foreign["memberId"], ada["referralCode"])  # ours, from the other tenant
    assert (reply.status, reply.code) == (404, "not_found")
    assert tenant_digest(tenant.tenant_id) == digest
    assert tenant.read.get(f"/members/{UNKNOWN_MEMBER}/referrals").status == 404
    assert other.read.get(f"/members/{ada['memberId']}/referrals").status == 404
    assert_ledger_clean(tenant.tenant_id)
    assert_ledger_clean(other.tenant_id)


def test_bad_input_is_400_and_stores_nothing(tenant):
    referral_program(tenant)
    ada, ben = enrol(tenant.integration, "ada@example.com"), enrol(tenant.integration, "ben@example.com")
    digest = tenant_digest(tenant.tenant_id)
    path = f"/members/{ben['memberId']}/referral"
    for body in (
        {},
        {"referralCode": None},
        {"referralCode": 1234567890},
        {"referralCode": "AB"},
        {"referralCode": "ABC DEF GHJ"},
        {"referralCode": "A" * 65},
        {"referralCode": ada["referralCode"], "referrerId": ada["memberId"]},
        [ada["referralCode"]],
    ):
        reply = tenant.integration.post(path, body)
        assert (reply.status, reply.code) == (400, "validation_error"), (body, reply.text)
    assert tenant.integration.post(path, raw=b"{not json").status == 400
    for query in ("limit=0", "limit=101", "nextToken=bogus", "status=x"):
        reply = tenant.read.get(f"/members/{ada['memberId']}/referrals?{query}")
        assert reply.status == 400, (query, reply.text)
    assert tenant.read.post(path, {"referralCode": ada["referralCode"]}).status == 403  # a read key writes nothing
    activity(tenant.admin, "spend", type="multiplier", multiplier=2)
    digest = tenant_digest(tenant.tenant_id)
    for settings in (
        {"referrerActivityId": "missing"},
        {"refereeActivityId": "spend"},
        {"referralWindowDays": 0},
        {"referralWindowDays": "7"},
    ):
        reply = tenant.admin.patch("/program", settings)
        assert (reply.status, reply.code) == (400, "validation_error"), (settings, reply.text)
    assert tenant_digest(tenant.tenant_id) == digest
    program = tenant.read.get("/program").data
    assert (program["referrerActivityId"], program["refereeActivityId"], program["referralWindowDays"]) == (
        "referrer",
        "referee",
        None,
    )


def test_the_referral_window_counts_from_enrolment(tenant, frozen):
    referral_program(tenant, referralWindowDays=7)
    ada, ben, cy = (enrol(tenant.integration, f"{n}@example.com") for n in ("ada", "ben", "cy"))
    frozen.advance(days=7)  # the last second of the window
    ok(201, refer(tenant.integration, ben["memberId"], ada["referralCode"]))
    frozen.advance(seconds=1)
    digest = tenant_digest(tenant.tenant_id)
    late = refer(tenant.integration, cy["memberId"], ada["referralCode"])
    assert (late.status, late.code) == (409, "invalid_state")
    assert tenant_digest(tenant.tenant_id) == digest
    ok(200, tenant.admin.patch("/program", {"referralWindowDays": None}))  # any time after enrolment
    ok(201, refer(tenant.integration, cy["memberId"], ada["referralCode"]))
    assert tenant.read.get(f"/members/{ada['memberId']}").data["referralCount"] == 2
    assert_ledger_clean(tenant.tenant_id)


def test_an_award_a_cap_refuses_is_skipped_and_the_referral_counts(tenant):
    referral_program(tenant, referrer={"maxAwardFrequency": 1, "maxAwardFrequencyInterval": "lifetime"})
    ada, ben, cy = (enrol(tenant.integration, f"{n}@example.com") for n in ("ada", "ben", "cy"))
    first = ok(201, refer(tenant.integration, ben["memberId"], ada["referralCode"])).data
    second = ok(201, refer(tenant.integration, cy["memberId"], ada["referralCode"])).data
    assert len(first["transactionIds"]) == 2 and len(second["transactionIds"]) == 1
    assert ok(200, tenant.read.get(f"/transactions/{second['transactionIds'][0]}")).data["memberId"] == cy["memberId"]
    assert tenant.read.get(f"/members/{ada['memberId']}").data["referralCount"] == 2
    assert balance(tenant.read, ada["memberId"])["available"] == 100
    assert [r["refereeId"] for r in referrals_of(tenant.read, ada["memberId"])] == [cy["memberId"], ben["memberId"]]
    assert [r["refereeId"] for r in referrals_of(tenant.read, ada["memberId"], page=1)] == [
        cy["memberId"],
        ben["memberId"],
    ]
    # an inactive activity is refused like a cap: skipped
    ok(200, tenant.admin.patch("/activities/referee", {"isActive": False}))
    dee = enrol(tenant.integration, "dee@example.com")
    assert ok(201, refer(tenant.integration, dee["memberId"], ben["referralCode"])).data["transactionIds"] == [
        ok(200, tenant.read.get(f"/members/{ben['memberId']}/transactions?limit=1")).data[0]["transactionId"]
    ]
    assert_ledger_clean(tenant.tenant_id)


def test_a_suspended_member_earns_nothing_and_the_referral_counts(tenant):
    referral_program(tenant)
    ada, ben, cy = (enrol(tenant.integration, f"{n}@example.com") for n in ("ada", "ben", "cy"))
    ok(200, tenant.integration.patch(f"/members/{ben['memberId']}", {"status": "suspended"}))
    made = ok(201, refer(tenant.integration, ben["memberId"], ada["referralCode"])).data
    assert [tenant.read.get(f"/transactions/{tx}").data["memberId"] for tx in made["transactionIds"]] == [
        ada["memberId"]
    ]
    suspended_ben = tenant.read.get(f"/members/{ben['memberId']}").data
    assert suspended_ben["referredBy"]["memberId"] == ada["memberId"] and suspended_ben["balance"]["pending"] == 0
    ok(200, tenant.integration.patch(f"/members/{ada['memberId']}", {"status": "suspended"}))  # a suspended referrer
    made = ok(201, refer(tenant.integration, cy["memberId"], ada["referralCode"])).data
    assert [tenant.read.get(f"/transactions/{tx}").data["memberId"] for tx in made["transactionIds"]] == [
        cy["memberId"]
    ]
    assert tenant.read.get(f"/members/{ada['memberId']}").data["referralCount"] == 2
    assert_ledger_clean(tenant.tenant_id)


def test_codes_are_guarded_and_the_backfill_restores_missing_guards(tenant, capsys):
    ada, ben = enrol(tenant.integration, "ada@example.com"), enrol(tenant.integration, "ben@example.com")
    cy = enrol(tenant.integration, "cy@example.com")
    ok(200, tenant.admin.delete(f"/members/{cy['memberId']}"))
    # as members enrolled before referral codes had guards
    store.transact([store.delete(referrals_db.code_guard(tenant.tenant_id, m["referralCode"])) for m in (ada, ben)])
    problems = checker.check([tenant.tenant_id])["problems"]
    assert sorted((p["memberId"], p["field"], p["problem"]) for p in problems) == sorted(
        (m["memberId"], "referralCode", "has no guard") for m in (ada, ben)
    )
    missing = refer(tenant.integration, ben["memberId"], ada["referralCode"])
    assert missing.status == 404
    counts = {"members": 3, "written": 2, "present": 0, "recoded": 0, "erased": 1}
    assert referrals_service.backfill_codes(tenant.tenant_id) == counts
    cli.main(["backfill-referral-codes", "--tenant", tenant.tenant_id])  # the operator command: writes nothing now
    again = {"members": 3, "written": 0, "present": 2, "recoded": 0, "erased": 1}
    assert json.loads(capsys.readouterr().out) == {tenant.tenant_id: again}
    assert_ledger_clean(tenant.tenant_id)
    ok(201, refer(tenant.integration, ben["memberId"], ada["referralCode"]))
    # a code another member's guard holds (a collision of old random codes): the member gets a new code
    store.transact([store.put({**referrals_db.code_guard(tenant.tenant_id, ada["referralCode"]), "memberId": "X"})])
    counts = referrals_service.backfill_codes(tenant.tenant_id)
    assert (counts["recoded"], counts["present"]) == (1, 1)
    assert tenant.read.get(f"/members/{ada['memberId']}").data["referralCode"] != ada["referralCode"]
    store.transact([store.delete(referrals_db.code_guard(tenant.tenant_id, ada["referralCode"]))])
    assert_ledger_clean(tenant.tenant_id)


def test_the_checker_sees_a_count_or_referred_by_that_disagrees(tenant):
    referral_program(tenant)
    ada, ben = enrol(tenant.integration, "ada@example.com"), enrol(tenant.integration, "ben@example.com")
    ok(201, refer(tenant.integration, ben["memberId"], ada["referralCode"]))
    from loyalty.repository import members as members_db

    ada_key = members_db.key(tenant.tenant_id, ada["memberId"])
    store.transact([store.update(ada_key, set_values={"referralCount": 2})])
    store.transact([store.update(members_db.key(tenant.tenant_id, ben["memberId"]), set_values={"referredBy": None})])
    fields = sorted(p["field"] for p in checker.check([tenant.tenant_id])["problems"])
    assert fields == ["referralCount", "referredBy"]


concurrency = pytest.mark.xdist_group("concurrency")


@concurrency
def test_20_referrals_of_one_member_at_once_make_exactly_one(local_api, tenant):
    referral_program(tenant)
    referee = enrol(tenant.integration, "new@example.com")
    referrers = [enrol(tenant.integration, f"r{i}@example.com") for i in range(20)]
    replies = at_once(
        local_api, 20, lambda i: refer(tenant.integration, referee["memberId"], referrers[i]["referralCode"])
    )
    outcome = Counter((r.status, r.code) for r in replies)
    assert outcome == {(201, None): 1, (409, "already_referred"): 19}, outcome
    (won,) = [r.data for r in replies if r.status == 201]
    assert tenant.read.get(f"/members/{referee['memberId']}").data["referredBy"]["memberId"] == won["referrerId"]
    counts = [tenant.read.get(f"/members/{m['memberId']}").data["referralCount"] for m in referrers]
    assert sorted(counts) == [0] * 19 + [1]
    assert balance(tenant.read, referee["memberId"])["available"] == 50
    assert_ledger_clean(tenant.tenant_id)


@concurrency
def test_one_member_referring_20_at_once_counts_20_and_earns_20_awards(local_api, tenant):
    referral_program(tenant)
    referrer = enrol(tenant.integration, "star@example.com")
    referees = [enrol(tenant.integration, f"n{i}@example.com") for i in range(20)]
    replies = at_once(
        local_api, 20, lambda i: refer(tenant.integration, referees[i]["memberId"], referrer["referralCode"])
    )
    assert Counter(r.status for r in replies) == {201: 20}, [r.text for r in replies if r.status != 201]
    star = tenant.read.get(f"/members/{referrer['memberId']}").data
    assert star["referralCount"] == 20 and star["balance"]["available"] == 20 * 100
    awards = tenant.read.get(f"/members/{referrer['memberId']}/transactions?limit=100&type=award").data
    assert len(awards) == 20 and {a["activityId"] for a in awards} == {"referrer"}
    listed = referrals_of(tenant.read, referrer["memberId"], page=7)
    assert sorted(r["refereeId"] for r in listed) == sorted(m["memberId"] for m in referees)
    assert [r["at"] for r in listed] == sorted((r["at"] for r in listed), reverse=True)
    assert_ledger_clean(tenant.tenant_id)


def test_erasure_leaves_a_code_guard_another_member_holds(tenant):
    """Two members stored with one random code before codes had guards: the guard names one of them until the
    backfill gives the other a new code. Erasing the other member frees nothing of the holder's (the erasure
    read the guard and deleted it only on "absent or mine", so the whole erasure failed)."""
    ada, ben = enrol(tenant.integration, "ada@example.com"), enrol(tenant.integration, "ben@example.com")
    held = {**referrals_db.code_guard(tenant.tenant_id, ada["referralCode"]), "memberId": ben["memberId"]}
    store.transact([store.put(held)])
    ok(200, tenant.admin.delete(f"/members/{ada['memberId']}"))
    assert referrals_db.holder(tenant.tenant_id, ada["referralCode"]) == ben["memberId"]
    assert tenant.read.get(f"/members/{ada['memberId']}").data["status"] == "erased"
