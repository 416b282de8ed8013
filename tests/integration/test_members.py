"""Members over the local API: unique email / externalId, lookups, paging, updates, erasure, tenancy."""

from urllib.parse import quote

import pytest

from tests.support.local import ok


def enrol(client, email, **extra):
    reply = client.post("/members", {"email": email, **extra})
    assert reply.status == 201, reply.text
    return reply.data


def test_create_read_and_defaults(tenant):
    member = enrol(tenant.integration, "Ada@Example.com", externalId="cust-1", firstName="Ada")
    assert member["status"] == "active" and member["tier"] is None and member["tierOverride"] is None
    assert member["balance"] == dict.fromkeys(
        ("available", "pending", "redeemed", "expired", "lifetime", "qualified"), 0
    )
    assert len(member["memberId"]) == 26 and len(member["referralCode"]) >= 10
    fetched = tenant.read.get(f"/members/{member['memberId']}")
    assert fetched.status == 200 and fetched.data == member


def test_email_is_unique_case_insensitively_and_external_id_is_unique(tenant):
    enrol(tenant.integration, "ada@example.com", externalId="cust-1")
    for body in ({"email": "ADA@example.com"}, {"email": "other@example.com", "externalId": "cust-1"}):
        reply = tenant.integration.post("/members", body)
        assert reply.status == 409 and reply.code == "member_exists", reply.text
    assert len(tenant.read.get("/members").data) == 1


def test_an_address_typed_with_a_combining_accent_is_the_same_address(tenant):
    """ "josé@" composed (é) and decomposed (e + U+0301) look alike and were two members, two guards."""
    composed, decomposed = "jos\u00e9@example.com", "jose\u0301@example.com"
    member = enrol(tenant.integration, decomposed, firstName="Jose\u0301")
    assert member["email"] == composed  # kept composed (NFC)
    reply = tenant.integration.post("/members", {"email": composed.upper()})
    assert reply.status == 409 and reply.code == "member_exists", reply.text
    for form in (composed, decomposed):
        assert [m["memberId"] for m in tenant.read.get(f"/members?email={quote(form)}").data] == [member["memberId"]]
    for q in ("jos\u00e9", "jose\u0301", "JOSE\u0301@"):  # the search compares composed forms too
        assert [m["memberId"] for m in tenant.read.get(f"/members?q={quote(q)}").data] == [member["memberId"]], q


def test_lookup_by_email_and_external_id_and_paging_newest_first(tenant):
    created = [enrol(tenant.integration, f"m{i}@example.com", externalId=f"x{i}") for i in range(5)]
    by_email = tenant.read.get("/members?email=M3@EXAMPLE.COM").data
    assert [m["memberId"] for m in by_email] == [created[3]["memberId"]]
    assert [m["memberId"] for m in tenant.read.get("/members?externalId=x4").data] == [created[4]["memberId"]]
    seen, token = [], None
    while True:
        reply = tenant.read.get("/members?limit=2" + (f"&nextToken={token}" if token else ""))
        assert reply.status == 200, reply.text
        seen += [m["memberId"] for m in reply.data]
        token = reply.json["nextToken"]
        if not token:
            break
    assert seen == [m["memberId"] for m in reversed(created)]


def test_a_tampered_or_foreign_next_token_is_a_400(local_api, tenant):
    for i in range(3):
        enrol(tenant.integration, f"p{i}@example.com")
    token = tenant.read.get("/members?limit=1").json["nextToken"]
    other = local_api.new_tenant()
    assert other.read.get(f"/members?limit=1&nextToken={token}").status == 400
    assert tenant.read.get(f"/members?limit=1&nextToken={token[:-2]}xx").status == 400
    assert tenant.read.get(f"/members?limit=1&email=p1@example.com&nextToken={token}").status == 400


def test_update_profile_status_and_tier_override(tenant):
    ok(200, tenant.admin.patch("/program", {"tiers": [{"tierId": "gold", "name": "Gold", "threshold": 1000}]}))
    member = enrol(tenant.integration, "b@example.com")
    path = f"/members/{member['memberId']}"
    reply = tenant.integration.patch(path, {"firstName": "Bea", "status": "suspended", "email": "bea@example.com"})
    assert reply.status == 200 and reply.data["status"] == "suspended" and reply.data["email"] == "bea@example.com"
    assert tenant.integration.post("/members", {"email": "b@example.com"}).status == 201  # the old email is free
    assert tenant.integration.post("/members", {"email": "bea@example.com"}).code == "member_exists"
    assert tenant.integration.patch(path, {"tierOverride": "gold"}).status == 403
    assert tenant.admin.patch(path, {"tierOverride": "nope"}).status == 400
    reply = tenant.admin.patch(path, {"tierOverride": "gold"})
    assert reply.data["tier"] == {"tierId": "gold", "name": "Gold"}


def test_changing_to_another_members_email_is_409_and_changes_nothing(tenant):
    first = enrol(tenant.integration, "one@example.com")
    enrol(tenant.integration, "two@example.com")
    reply = tenant.integration.patch(f"/members/{first['memberId']}", {"email": "TWO@example.com", "firstName": "X"})
    assert reply.status == 409 and reply.code == "member_exists"
    assert tenant.read.get(f"/members/{first['memberId']}").data == first


def test_erase_keeps_the_member_but_not_its_personal_data(tenant):
    member = enrol(tenant.integration, "gone@example.com", externalId="g1", firstName="Gone", phone="+442012345678")
    reply = tenant.admin.delete(f"/members/{member['memberId']}")
    assert reply.status == 200
    erased = tenant.read.get(f"/members/{member['memberId']}").data
    assert erased["email"] is None and erased["firstName"] is None and erased["phone"] is None
    assert erased["externalId"] is None and erased["erasedAt"]
    assert tenant.read.get("/members?email=gone@example.com").data == []
    assert tenant.integration.post("/members", {"email": "gone@example.com", "externalId": "g1"}).status == 201
    assert tenant.integration.patch(f"/members/{member['memberId']}", {"email": "back@example.com"}).status == 409


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_another_tenants_member_is_404(local_api, tenant, method):
    member = enrol(tenant.integration, "mine@example.com")
    other = local_api.new_tenant()
    reply = other.admin.call(method, f"/members/{member['memberId']}", {} if method == "PATCH" else None)
    assert reply.status == 404 and reply.code == "not_found"
    assert other.read.get("/members?email=mine@example.com").data == []


def test_idempotent_enrolment_replays_the_first_answer(tenant):
    headers = {"Idempotency-Key": "enrol-1"}
    first = tenant.integration.post("/members", {"email": "i@example.com"}, headers=headers)
    again = tenant.integration.post("/members", {"email": "i@example.com"}, headers=headers)
    assert first.status == again.status == 201 and again.text == first.text
    assert again.headers["idempotent-replayed"] == "true"
    reused = tenant.integration.post("/members", {"email": "j@example.com"}, headers=headers)
    assert reused.status == 422 and reused.code == "idempotency_key_reused"


def test_bad_member_input_is_400(tenant):
    for body in ({}, {"email": "nope"}, {"email": "a@b.co", "birthdate": "1990-02-30"}, {"email": "a@b.co", "x": 1}):
        reply = tenant.integration.post("/members", body)
        assert reply.status == 400 and reply.code == "validation_error", reply.text
    assert tenant.read.get("/members?limit=0").status == 400
    assert tenant.read.get("/members?createdFrom=2026-02-01T00:00:00Z&createdTo=2026-01-01T00:00:00Z").status == 400


def test_members_enrolled_during_a_walk_do_not_join_it(tenant):
    """A walk of GET /members started before enrolments goes on newest first from where it was, on
    DynamoDB Local (a sharded page resumes a shard nothing was served from at the page's last item)."""
    made = [tenant.integration.post("/members", {"email": f"w{i}@example.com"}).data["memberId"] for i in range(30)]
    first = tenant.read.get("/members?limit=4")
    for i in range(6):
        assert tenant.integration.post("/members", {"email": f"late{i}@example.com"}).status == 201
    seen, token = [m["memberId"] for m in first.data], first.json["nextToken"]
    while token:
        reply = tenant.read.get(f"/members?limit=4&nextToken={token}")
        assert reply.status == 200, reply.text
        seen, token = seen + [m["memberId"] for m in reply.data], reply.json["nextToken"]
    assert seen == list(reversed(made))
