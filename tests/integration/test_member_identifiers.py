"""Members by any identifier over the local API (issue 23 item 1, contract §10): email, externalId, phone and
cardId each enough and each unique, lookups right after a write, the prefix search `q`, erasure, a race."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from loyalty.repository import member_search as search_db
from loyalty.repository import members as members_db
from loyalty.repository import store
from loyalty.services import members

from tests.support.concurrency import at_once
from tests.support.ledger import assert_ledger_clean
from tests.support.local import ok, tenant_digest

IDENTIFIERS = {"email": "ana@example.com", "externalId": "crm-1", "phone": "+14155550123", "cardId": "CARD-0042"}


def enrol(client, **body):
    return ok(201, client.post("/members", body)).data


def ids(reply):
    assert reply.status == 200, reply.text
    return [member["memberId"] for member in reply.data]


def walk(client, path, limit):
    """Every member of every page of a list, in order (and the number of pages)."""
    seen, token, pages = [], None, 0
    while True:
        reply = client.get(f"{path}&limit={limit}" + (f"&nextToken={token}" if token else ""))
        seen, token, pages = seen + ids(reply), reply.json["nextToken"], pages + 1
        if not token:
            return seen, pages


def search(client, q):
    return ids(client.get(f"/members?q={quote(q)}&limit=100"))


@pytest.mark.parametrize("field", sorted(IDENTIFIERS))
def test_any_one_identifier_enrols_a_member_and_finds_it(tenant, field):
    member = enrol(tenant.integration, **{field: IDENTIFIERS[field]}, firstName="Solo")
    assert member[field] == IDENTIFIERS[field]
    assert all(member[other] is None for other in IDENTIFIERS if other != field)
    assert ids(tenant.read.get(f"/members?{field}={quote(IDENTIFIERS[field])}")) == [member["memberId"]]
    assert_ledger_clean(tenant.tenant_id)


def test_no_identifier_is_a_400_and_stores_nothing(tenant):
    before = tenant_digest(tenant.tenant_id)
    for body in ({}, {"firstName": "Nobody"}, {"email": None, "phone": None, "lastName": "N"}):
        reply = tenant.integration.post("/members", body)
        assert reply.status == 400 and reply.code == "validation_error", reply.text
    assert tenant_digest(tenant.tenant_id) == before


@pytest.mark.parametrize(
    "body",
    [
        {"phone": "14155550123"},  # no +
        {"phone": "+1415555O123"},  # a letter
        {"phone": "+1415555012345678"},  # 16 digits
        {"phone": "+04155550123"},  # no country code starts with 0
        {"phone": "+1 415 555 0123"},
        {"cardId": "CARD 42"},
        {"cardId": "carte-n°1"},
        {"cardId": "C" * 129},
        {"cardId": ""},
    ],
)
def test_a_malformed_phone_or_card_id_is_a_400_and_stores_nothing(tenant, body):
    before = tenant_digest(tenant.tenant_id)
    reply = tenant.integration.post("/members", {"email": "x@example.com", **body})
    assert reply.status == 400 and reply.code == "validation_error", reply.text
    assert reply.json["error"]["details"][0]["field"] == next(iter(body))
    assert tenant_digest(tenant.tenant_id) == before
    field = next(iter(body))
    assert tenant.read.get(f"/members?{field}={quote(body[field])}").status == 400


@pytest.mark.parametrize(
    ("field", "clash"),
    [("email", "ANA@Example.COM"), ("externalId", "crm-1"), ("phone", "+14155550123"), ("cardId", "CARD-0042")],
)
def test_each_identifier_is_unique_in_the_program(local_api, tenant, field, clash):
    held = enrol(tenant.integration, **IDENTIFIERS)
    other = enrol(tenant.integration, email="bo@example.com")
    before = tenant_digest(tenant.tenant_id)
    fresh = {"email": "new@example.com", "externalId": "crm-2", "phone": "+14155550999", "cardId": "CARD-0099"}
    reply = tenant.integration.post("/members", {**fresh, field: clash})
    assert reply.status == 409 and reply.code == "member_exists", reply.text
    assert [d["field"] for d in reply.json["error"]["details"]] == [field]
    patched = tenant.integration.patch(f"/members/{other['memberId']}", {field: clash, "firstName": "Bo"})
    assert patched.status == 409 and patched.code == "member_exists", patched.text
    assert tenant_digest(tenant.tenant_id) == before  # nothing stored, nothing changed
    assert ids(tenant.read.get(f"/members?{field}={quote(IDENTIFIERS[field])}")) == [held["memberId"]]
    # another tenant may hold the same values
    enrol(local_api.new_tenant().integration, **IDENTIFIERS)


def test_card_ids_and_external_ids_are_exact_emails_are_not(tenant):
    first = enrol(tenant.integration, cardId="card-7", externalId="crm-7")
    second = enrol(tenant.integration, cardId="CARD-7", externalId="CRM-7")
    assert ids(tenant.read.get("/members?cardId=card-7")) == [first["memberId"]]
    assert ids(tenant.read.get("/members?cardId=CARD-7")) == [second["memberId"]]
    assert ids(tenant.read.get("/members?cardId=Card-7")) == []


def test_lookups_right_after_each_write_and_a_patch_moves_the_guards(tenant, index_lag):
    """Under index lag (every index Query finds nothing, as on AWS right after a write) phone and cardId
    lookups still find the member: they read the guard item strongly consistent."""
    member = enrol(tenant.integration, phone="+442012345678", cardId="C-1")
    m = member["memberId"]
    assert ids(tenant.read.get("/members?phone=%2B442012345678")) == [m]
    assert ids(tenant.read.get("/members?cardId=C-1")) == [m]
    assert ids(tenant.read.get("/members?phone=%2B442012345678&cardId=C-1")) == [m]
    ok(200, tenant.integration.patch(f"/members/{m}", {"phone": "+442099999999", "cardId": "C-2"}))
    assert ids(tenant.read.get("/members?phone=%2B442099999999")) == [m]
    assert ids(tenant.read.get("/members?cardId=C-2")) == [m]
    assert ids(tenant.read.get("/members?phone=%2B442012345678")) == []
    assert ids(tenant.read.get("/members?cardId=C-1")) == []
    taker = enrol(tenant.integration, phone="+442012345678", cardId="C-1")  # the old values are free
    assert ids(tenant.read.get("/members?phone=%2B442012345678&cardId=C-1")) == [taker["memberId"]]
    assert ids(tenant.read.get("/members?phone=%2B442099999999&cardId=C-1")) == []  # two members: none
    assert ids(tenant.read.get("/members")) == [] and index_lag  # the mode is real: the list's Queries lag


def test_a_patch_may_clear_identifiers_but_not_the_last_one(tenant):
    member = enrol(tenant.integration, email="two@example.com", phone="+14155550100")
    path = f"/members/{member['memberId']}"
    assert ok(200, tenant.integration.patch(path, {"email": None})).data["email"] is None
    before = tenant_digest(tenant.tenant_id)
    reply = tenant.integration.patch(path, {"phone": None})
    assert reply.status == 400 and reply.code == "validation_error", reply.text
    assert tenant_digest(tenant.tenant_id) == before
    enrol(tenant.integration, email="two@example.com")  # the cleared email is free
    assert_ledger_clean(tenant.tenant_id)


def _search_fixture(client):
    """Members whose values start with "ana" in various fields, by name, and the order q=ana shows them."""
    made = {
        "silva": enrol(client, email="ana.silva@example.com", firstName="Ana", lastName="Silva"),
        "anabel": enrol(client, email="bob@example.com", firstName="Anabel", lastName="Anders"),
        "ext": enrol(client, email="carl@example.com", externalId="ANA-7"),
        "card": enrol(client, phone="+14155550001", cardId="ana-card"),
        "anaya": enrol(client, email="zed@example.com", firstName="Zed", lastName="Anaya"),
        "none": enrol(client, email="dora@example.com", firstName="Dora", lastName="Banana"),
    }
    # matched values: ana-7 < ana-card < ana.silva@example.com < anabel < anaya ("-" < "." < "b" < "y")
    order = ["ext", "card", "silva", "anabel", "anaya"]
    return {name: member["memberId"] for name, member in made.items()}, order


def test_q_finds_by_prefix_in_every_field_case_insensitively_in_order_each_member_once(local_api, tenant):
    made, order = _search_fixture(tenant.integration)
    expected = [made[name] for name in order]
    for q in ("ana", "ANA", "aNa"):
        assert search(tenant.read, q) == expected
    assert search(tenant.read, "ana.") == [made["silva"]]
    assert search(tenant.read, "ana-c") == [made["card"]]
    assert search(tenant.read, "+1415555000") == [made["card"]]
    assert search(tenant.read, "banan") == [made["none"]]
    assert search(tenant.read, "zz") == []
    for limit in (1, 2, 3, 5):
        assert walk(tenant.read, "/members?q=ana", limit)[0] == expected
    assert local_api.new_tenant().read.get("/members?q=ana").data == []  # another tenant sees none of them
    assert_ledger_clean(tenant.tenant_id)


def test_a_member_matching_several_fields_shows_under_the_first_field_of_the_contracts_order(tenant):
    """Email, last name, first name, externalId, phone, cardId: the entry shown is the first field's, so the
    member sorts by that value (zeta@…), not by a smaller value of a later field (its last name zed)."""
    a = enrol(tenant.integration, email="zeta@example.com", lastName="Zed")["memberId"]
    b = enrol(tenant.integration, email="b@example.com", firstName="Zeb")["memberId"]
    c = enrol(tenant.integration, email="c@example.com", firstName="Zef")["memberId"]
    assert search(tenant.read, "ze") == [b, c, a]
    assert search(tenant.read, "zed") == [a]  # only the last name matches: shown under it
    assert walk(tenant.read, "/members?q=ze", 1)[0] == [b, c, a]


def test_paging_a_larger_search_shows_every_member_once_in_order(tenant):
    names = [f"Pat{i:02d}" for i in range(14)]
    made = {}
    for i, name in enumerate(names):
        body = {"firstName": name, "phone": f"+1415555{i:04d}"}
        if i % 3 == 0:
            body["email"] = f"{name.lower()}x@example.com"  # the same member matches by email first
        if i % 4 == 0:
            body["externalId"] = f"PAT-{i}"
        made[i] = enrol(tenant.integration, **body)["memberId"]
    # under the email where there is one, else the first name (before the externalId "pat-…", which sorts first)
    shown = {i: (f"pat{i:02d}x@example.com" if i % 3 == 0 else f"pat{i:02d}") for i in made}
    expected = [made[i] for i in sorted(made, key=lambda i: (shown[i], made[i]))]
    for limit in (1, 4, 25):
        seen, pages = walk(tenant.read, "/members?q=pat", limit)
        assert seen == expected, limit
        assert pages <= len(expected) * 3 + 1
    assert_ledger_clean(tenant.tenant_id)


def test_a_page_goes_no_further_than_every_field_has_read(tenant):
    """Two members found by email have last names that sort first ("paa", "pab": passed over, they show
    under their emails); a page of 2 reads those two last names and must stop there, or the member found
    by its last name "pac" (not read yet) would be passed by a page ending at "pad" or later."""
    x = enrol(tenant.integration, email="pax@example.com", lastName="Paa")["memberId"]
    y = enrol(tenant.integration, email="pay@example.com", lastName="Pab")["memberId"]
    v = enrol(tenant.integration, externalId="v-1", lastName="Pac")["memberId"]
    u = enrol(tenant.integration, externalId="u-1", firstName="Pad")["memberId"]
    expected = [v, u, x, y]
    assert search(tenant.read, "pa") == expected
    for limit in (1, 2, 3):
        assert walk(tenant.read, "/members?q=pa", limit)[0] == expected, limit


def test_a_bad_q_is_a_400(tenant):
    enrol(tenant.integration, email="ab@example.com")
    for query in ("q=a", "q=" + "a" * 65, "q=", "q=ab&email=ab@example.com", "q=ab&createdFrom=2026-01-01T00:00:00Z"):
        reply = tenant.read.get(f"/members?{query}")
        assert reply.status == 400 and reply.code == "validation_error", (query, reply.text)
    assert ids(tenant.read.get("/members?q=" + "a" * 64)) == []
    assert ids(tenant.read.get("/members?q=ab")) != []
    token = tenant.read.get("/members?limit=1").json["nextToken"]
    assert token is None or tenant.read.get(f"/members?q=ab&nextToken={token}").status == 400


def test_a_patch_moves_the_search_entries(tenant):
    m = enrol(tenant.integration, email="quinn@example.com", firstName="Quentin")["memberId"]
    assert search(tenant.read, "quen") == [m]
    ok(200, tenant.integration.patch(f"/members/{m}", {"firstName": "Rupert", "cardId": "QX-1"}))
    assert search(tenant.read, "quen") == []
    assert search(tenant.read, "rup") == [m]
    assert search(tenant.read, "qx") == [m]
    assert search(tenant.read, "qu") == [m]  # by the email, still
    ok(200, tenant.integration.patch(f"/members/{m}", {"gender": "x"}))  # no searched value: no entry written
    assert_ledger_clean(tenant.tenant_id)


def test_a_search_never_shows_a_member_by_a_value_it_no_longer_has(tenant):
    """As an index that has not caught up would: the entries of before a PATCH or an erasure put back
    (search entries are read from gsi2, eventually consistent on AWS); the members read by key decide."""
    t = tenant.tenant_id
    m = enrol(tenant.integration, email="yves@example.com", firstName="Yvonne")["memberId"]
    gone = enrol(tenant.integration, email="yvo@example.com")["memberId"]
    before = search_db.stored(t, [m, gone])
    ok(200, tenant.integration.patch(f"/members/{m}", {"firstName": "Zoe", "email": "zoe@example.com"}))
    ok(200, tenant.admin.delete(f"/members/{gone}"))
    now = search_db.stored(t, [m, gone])
    assert now[gone] == []
    store.transact([store.put(entry) for entries in before.values() for entry in entries])  # the lagging view
    assert search(tenant.read, "yv") == []
    store.transact(  # caught up
        [store.put(entry) for entry in now[m]]
        + [store.delete(search_db.entry_key(t, gone, entry["field"])) for entry in before[gone]]
    )
    assert search(tenant.read, "zo") == [m]
    # a member that gains an email: its old first-name entry (whose forms have no email) shows it no more
    w = enrol(tenant.integration, phone="+14155550300", firstName="Yvette")["memberId"]
    (old_name,) = [e for e in search_db.stored(t, [w])[w] if e["field"] == "firstName"]
    ok(200, tenant.integration.patch(f"/members/{w}", {"email": "yvette@example.com"}))
    store.transact([store.put(old_name)])
    assert search(tenant.read, "yv") == [w]  # once, by its email
    ok(200, tenant.integration.patch(f"/members/{w}", {"firstName": "Yve"}))  # caught up
    assert_ledger_clean(t)


def test_erasure_frees_every_identifier_and_removes_the_search_entries(tenant):
    member = enrol(tenant.integration, **IDENTIFIERS, firstName="Anastasia", lastName="Quill")
    m = member["memberId"]
    assert search(tenant.read, "anas") == [m] and search(tenant.read, "quil") == [m]
    ok(200, tenant.admin.delete(f"/members/{m}"))
    for q in ("ana", "quil", "crm", "+1415", "card"):
        assert search(tenant.read, q) == [], q
    for field, value in IDENTIFIERS.items():
        assert ids(tenant.read.get(f"/members?{field}={quote(value)}")) == [], field
    assert search_db.stored(tenant.tenant_id, [m]) == {m: []}  # not just hidden: gone
    taker = enrol(tenant.integration, **IDENTIFIERS)  # a new member may take them all
    assert ids(tenant.read.get(f"/members?phone={quote(IDENTIFIERS['phone'])}")) == [taker["memberId"]]
    assert search(tenant.read, "ana") == [taker["memberId"]]
    assert_ledger_clean(tenant.tenant_id)


def test_ten_concurrent_enrolments_with_one_phone_make_one_member(local_api, tenant):
    replies = at_once(
        local_api, 10, lambda i: tenant.integration.post("/members", {"phone": "+14155550777", "cardId": f"R-{i}"})
    )
    statuses = sorted(reply.status for reply in replies)
    assert statuses == [201] + [409] * 9, [reply.text for reply in replies]
    assert {reply.code for reply in replies if reply.status == 409} == {"member_exists"}
    (winner,) = [reply.data["memberId"] for reply in replies if reply.status == 201]
    assert ids(tenant.read.get("/members?phone=%2B14155550777")) == [winner]
    assert ids(tenant.read.get("/members")) == [winner]
    assert search(tenant.read, "+14155550777") == [winner]
    assert_ledger_clean(tenant.tenant_id)


def test_ten_members_patched_at_once_to_one_card_id_leave_it_to_one(local_api, tenant):
    made = [enrol(tenant.integration, email=f"p{i}@example.com", cardId=f"OWN-{i}")["memberId"] for i in range(10)]
    replies = at_once(local_api, 10, lambda i: tenant.integration.patch(f"/members/{made[i]}", {"cardId": "SHARED-1"}))
    assert sorted(reply.status for reply in replies) == [200] + [409] * 9, [reply.text for reply in replies]
    (winner,) = [made[i] for i, reply in enumerate(replies) if reply.status == 200]
    assert ids(tenant.read.get("/members?cardId=SHARED-1")) == [winner]
    losers = [i for i, reply in enumerate(replies) if reply.status == 409]
    for i in losers:  # each loser kept its own card (and its guard)
        assert ids(tenant.read.get(f"/members?cardId=OWN-{i}")) == [made[i]]
    assert search(tenant.read, "shared") == [winner]
    assert_ledger_clean(tenant.tenant_id)


def test_the_checker_sees_a_lost_or_stale_search_entry_or_guard(tenant):
    m = enrol(tenant.integration, email="check@example.com", phone="+14155550400", firstName="Chuck")["memberId"]
    assert_ledger_clean(tenant.tenant_id)
    store.transact([store.delete(search_db.entry_key(tenant.tenant_id, m, "firstName"))])
    entry = search_db.stored(tenant.tenant_id, [m])[m][0]
    store.transact([store.put({**entry, "value": "stale"})])
    store.transact([store.delete(members_db.guard(tenant.tenant_id, "phone", "+14155550400"))])
    found = {(p["field"], p["problem"]) for p in _problems(tenant.tenant_id)}
    assert found == {
        ("search firstName", "has no search entry"),
        (f"search {entry['field']}", "has a search entry that disagrees with it"),
        ("phone", "has no guard"),
    }
    assert members.backfill_members(tenant.tenant_id) == {"members": 1, "guards": 1, "entries": 1, "clashes": []}
    assert_ledger_clean(tenant.tenant_id)
    again = tenant_digest(tenant.tenant_id)
    assert members.backfill_members(tenant.tenant_id) == {"members": 1, "guards": 0, "entries": 0, "clashes": []}
    assert tenant_digest(tenant.tenant_id) == again  # idempotent: the second run writes nothing


def test_the_backfill_gives_old_members_their_entries_and_guards_and_reports_a_shared_phone(tenant):
    """Members stored before this change: no search entry, no phone guard, two of them with one phone."""
    t = tenant.tenant_id
    old = [enrol(tenant.integration, email=f"old{i}@example.com", firstName=f"Olga{i}")["memberId"] for i in range(3)]
    for m in old:  # as stored before: no search entry; then two members share a phone, without a guard
        store.transact([store.delete(search_db.entry_key(t, m, field)) for field in search_db.SEARCHED])
    for m in old[:2]:
        member = store.get(members_db.key(t, m))
        assert member is not None
        store.transact([store.put({**member, "phone": "+14155550500"})])
    assert search(tenant.read, "olga") == []
    report = members.backfill_members(t)
    assert report["members"] == 3 and report["guards"] == 1 and report["entries"] == 3
    assert report["clashes"] == [{"memberId": old[1], "field": "phone", "heldBy": old[0]}]
    assert search(tenant.read, "olga") == old
    assert ids(tenant.read.get("/members?phone=%2B14155550500")) == [old[0]]
    # the member without the guard changes its phone: the other member's guard stays its own
    ok(200, tenant.integration.patch(f"/members/{old[1]}", {"phone": "+14155550501"}))
    assert ids(tenant.read.get("/members?phone=%2B14155550500")) == [old[0]]
    ok(200, tenant.admin.delete(f"/members/{old[1]}"))
    assert ids(tenant.read.get("/members?phone=%2B14155550500")) == [old[0]]
    assert members.backfill_members(t)["clashes"] == []
    assert_ledger_clean(t)


def _problems(tenant_id):
    from loyalty.services import checker

    return checker.check([tenant_id])["problems"]
