"""Platform routes over the local API: status, program settings, conventions of the envelope."""

import json

from loyalty import VERSION

from tests.support.local import ok


def test_status_answers_ok_with_the_seed_shape(tenant):
    reply = tenant.read.get("/status")
    assert reply.status == 200
    assert reply.json == {"message": "ok", "version": VERSION}


def test_program_defaults_then_admin_update(tenant):
    reply = tenant.read.get("/program")
    assert reply.status == 200
    assert reply.data["currency"] == "USD" and reply.data["pointsExpiryDays"] is None
    tiers = [
        {"tierId": "gold", "name": "Gold", "threshold": 1000},
        {"tierId": "base", "name": "Base", "threshold": 0},
    ]
    reply = tenant.admin.patch("/program", {"pointsExpiryDays": 365, "tiers": tiers, "currency": "EUR"})
    assert reply.status == 200, reply.text
    assert [t["tierId"] for t in reply.data["tiers"]] == ["base", "gold"]
    assert tenant.read.get("/program").data["pointsExpiryDays"] == 365


def test_bad_input_is_a_400_in_the_envelope_and_changes_nothing(tenant):
    before = tenant.read.get("/program").data
    cases = [
        ({"pointsExpiryDays": "ten"}, "pointsExpiryDays"),
        ({"pointsExpiryDays": 0}, "pointsExpiryDays"),
        ({"currency": "euro"}, "currency"),
        ({"nmae": "typo"}, "nmae"),
        (
            {
                "tiers": [
                    {"tierId": "a", "name": "A", "threshold": 1},
                    {"tierId": "a", "name": "B", "threshold": 2},
                ]
            },
            "tiers",
        ),
        ({"tiers": [{"tierId": "a b", "name": "A", "threshold": 1}]}, "tiers[0].tierId"),
    ]
    for body, field in cases:
        reply = tenant.admin.patch("/program", body)
        assert reply.status == 400, reply.text
        assert reply.code == "validation_error"
        assert field in [d["field"] for d in reply.json["error"]["details"]]
    for raw in (b"{not json", b"[1,2]", b'"text"', b"\xff\xfe"):
        reply = tenant.admin.call("PATCH", "/program", raw=raw)
        assert reply.status == 400 and reply.code == "validation_error", reply.text
    assert tenant.read.get("/program").data == before


def test_body_over_64_kib_is_413(tenant):
    reply = tenant.admin.call("PATCH", "/program", raw=json.dumps({"name": "x" * 70000}).encode())
    assert reply.status == 413 and reply.code == "payload_too_large"


def test_unknown_query_parameters_are_rejected(tenant):
    reply = tenant.read.get("/program?limit=5")
    assert reply.status == 400 and reply.code == "validation_error"


def test_tenants_do_not_see_each_other(local_api, tenant):
    other = local_api.new_tenant()
    ok(200, tenant.admin.patch("/program", {"name": "Mine"}))
    assert other.read.get("/program").data["name"] != "Mine"
