"""Erasing a member reaches every copy of its personal data, and an erased member takes part nowhere."""

import importlib
import itertools

from loyalty.repository import personal as personal_db
from loyalty.repository import store
from loyalty.repository import vouchers as vouchers_db
from loyalty.routes import ROUTES
from loyalty.services import members

from tests.support.ledger import activity
from tests.support.local import ok
from tests.support.personal import PROFILE, UPDATED, enrol, leaks, stored_items, values
from tests.support.vouchers import offer

_orders = itertools.count(1)


def _stored_text(tenant):
    return "\n".join(stored_items(tenant.tenant_id))


def test_erasure_reaches_every_copy_of_the_members_personal_data(tenant):
    m = enrol(tenant.integration, key="enrol-zq")["memberId"]
    ok(200, tenant.integration.patch(f"/members/{m}", UPDATED))
    offer_id = offer(tenant.admin)
    issue = {"memberId": m}
    voucher = ok(201, tenant.integration.post(f"/offers/{offer_id}/vouchers", issue, headers={"Idempotency-Key": "v"}))
    assert voucher.data["customerName"] == "Zedekiah Quillfeather"
    named = {"memberId": m, "customerName": "Zerubabel Q. Customer"}
    ok(201, tenant.integration.post(f"/offers/{offer_id}/vouchers", named))
    secrets = values(PROFILE, UPDATED) | {"Zerubabel Q. Customer"}
    assert set(leaks(_stored_text(tenant), secrets)) >= {PROFILE["phone"], UPDATED["phone"], "Zerubabel Q. Customer"}

    ok(200, tenant.admin.delete(f"/members/{m}"))
    assert leaks(_stored_text(tenant), secrets) == []  # no copy left anywhere in the tenant's items

    replay = tenant.integration.post("/members", PROFILE, headers={"Idempotency-Key": "enrol-zq"})
    assert replay.status == 201 and replay.headers["idempotent-replayed"] == "true", replay.text
    assert replay.data["memberId"] == m and replay.data["email"] is None and leaks(replay.text, secrets) == []
    again = tenant.integration.post(f"/offers/{offer_id}/vouchers", issue, headers={"Idempotency-Key": "v"})
    assert again.status == 201 and again.headers["idempotent-replayed"] == "true", again.text
    assert again.data == {**voucher.data, "customerName": None}  # the same voucher, without the name
    for ref in (voucher.data["voucherId"], voucher.data["redemptionCode"]):
        assert ok(200, tenant.read.get(f"/vouchers/{ref}")).data["customerName"] is None
    ok(200, tenant.admin.delete(f"/members/{m}"))  # erasing again is harmless


def test_erasure_goes_chunk_by_chunk_and_past_a_copy_that_is_gone(tenant, monkeypatch):
    monkeypatch.setattr(members, "ERASE_CHUNK", 2)
    m = enrol(tenant.integration)["memberId"]
    offer_id = offer(tenant.admin)
    ids = [ok(201, tenant.integration.post(f"/offers/{offer_id}/vouchers", {"memberId": m})).data for _ in range(5)]
    gone = vouchers_db.voucher_key(tenant.tenant_id, ids[1]["voucherId"])
    store.transact([store.delete(gone)])  # removed behind the erasure's back: its chunk goes one by one
    ok(200, tenant.admin.delete(f"/members/{m}"))
    assert personal_db.copies(tenant.tenant_id, m) == []
    assert leaks(_stored_text(tenant), values(PROFILE)) == []
    assert [tenant.read.get(f"/vouchers/{v['voucherId']}").status for v in ids] == [200, 404, 200, 200, 200]


def _member_scoped() -> set[str]:
    """Every route that names a member: in its path, or by memberId in its body."""
    found = set()
    for route in ROUTES:
        spec = importlib.import_module(f"functions.{route.function}.app").handler.api
        if "{memberId}" in route.path or (spec.body is not None and "memberId" in spec.body.model_fields):
            found.add(route.function)
    return found


def _calls(tenant, m, offer_id, offer_code):
    """One request per member-scoped route, fresh each time (new orderIds): (client, method, path, body)."""
    order = f"o-{next(_orders)}"
    member = f"/members/{m}"
    activation = f"{member}/offers/{offer_id}/activation"
    redemption = {"teamId": tenant.tenant_id, "offerCode": offer_code, "memberId": m, "orderId": order, "value": "9"}
    code = ok(201, tenant.integration.post("/members", {"email": f"{order}@example.com"})).data["referralCode"]
    return {
        "get_member": (tenant.read, "GET", member, None),
        "get_member_summary": (tenant.read, "GET", f"{member}/summary", None),
        "list_member_transactions": (tenant.read, "GET", f"{member}/transactions", None),
        "list_member_orders": (tenant.read, "GET", f"{member}/orders", None),
        "list_member_redemptions": (tenant.read, "GET", f"{member}/redemptions", None),
        "list_member_offer_redemptions": (tenant.read, "GET", f"{member}/offer-redemptions", None),
        "list_member_offers": (tenant.read, "GET", f"{member}/offers", None),
        "list_member_vouchers": (tenant.read, "GET", f"{member}/vouchers", None),
        "list_member_referrals": (tenant.read, "GET", f"{member}/referrals", None),
        "create_referral": (tenant.integration, "POST", f"{member}/referral", {"referralCode": code}),
        "list_member_rewards": (tenant.read, "GET", f"{member}/rewards", None),
        "update_member": (tenant.integration, "PATCH", member, {"lastName": "Q"}),
        "create_award": (tenant.integration, "POST", f"{member}/awards", {"activityId": "sale", "points": 50}),
        "create_deduction": (tenant.integration, "POST", f"{member}/deductions", {"points": 1, "reason": "x"}),
        "create_redemption": (tenant.integration, "POST", f"{member}/redemptions", {"rewardId": "r"}),
        "activate_offer": (tenant.integration, "POST", activation, None),
        "deactivate_offer": (tenant.integration, "DELETE", activation, None),
        "create_order": (tenant.integration, "POST", "/orders", {"orderId": order, "memberId": m, "total": "10"}),
        "create_offer_redemption": (tenant.integration, "POST", "/offer-redemptions", redemption),
        "issue_voucher": (tenant.integration, "POST", f"/offers/{offer_id}/vouchers", {"memberId": m}),
        # issue 25: an erased member is in no segment and gets no new override; an old one may be removed
        "list_member_segments": (tenant.read, "GET", f"{member}/segments", None),
        "put_segment_override": (tenant.admin, "PUT", f"/segments/s/members/{m}", {"type": "include"}),
        "delete_segment_override": (tenant.admin, "DELETE", f"/segments/s/members/{m}", None),
        # issue 25: challenges (the test's challenge "ch", manual, no limit)
        "create_challenge_response": (
            tenant.integration,
            "POST",
            "/challenges/ch/responses",
            {"memberId": m, "answer": {"t": "x"}},
        ),
        "list_member_challenge_responses": (tenant.read, "GET", f"{member}/challenge-responses", None),
        # issue 25: reward grants and promo codes (the test's reward "r" and shared code "ERASE-PROMO")
        "create_reward_grant": (tenant.admin, "POST", f"{member}/reward-grants", {"rewardId": "r", "reason": "x"}),
        "use_promo_code": (tenant.integration, "POST", f"{member}/promo-codes", {"code": "ERASE-PROMO"}),
        "erase_member": (tenant.admin, "DELETE", member, None),
    }


# What each member-scoped route answers for an erased member. Reads of what the member did stay (the
# ledger is kept so totals stay true) and show no personal data; anything that would have the member
# take part is 409 invalid_state, as for points (docs/decisions.md, "Erasure is terminal").
AFTER_ERASURE = {
    "get_member": 200,
    "get_member_summary": 200,
    "list_member_transactions": 200,
    "list_member_orders": 200,
    "list_member_redemptions": 200,
    "list_member_offer_redemptions": 200,
    "list_member_vouchers": 200,
    "list_member_referrals": 200,
    "list_member_rewards": 200,  # every reward with member_inactive first: what a redemption would answer
    "erase_member": 200,
    "list_member_offers": 409,
    "update_member": 409,
    "create_award": 409,
    "create_deduction": 409,
    "create_redemption": 409,
    "activate_offer": 409,
    "deactivate_offer": 409,
    "create_order": 409,
    "create_offer_redemption": 409,
    "issue_voucher": 409,
    "create_referral": 409,
    "list_member_segments": 200,  # none: an erased member is in no segment
    "put_segment_override": 409,
    "delete_segment_override": 204,
    "list_member_challenge_responses": 200,  # the responses stay, their answers nulled
    "create_challenge_response": 409,
    "create_reward_grant": 409,
    "use_promo_code": 409,
}


def test_every_member_scoped_route_refuses_an_erased_member_or_shows_no_personal_data(tenant):
    assert _member_scoped() == set(AFTER_ERASURE)  # a new member-scoped route must be placed here
    activity(tenant.admin, "sale", type="fixed", points=100)
    ok(200, tenant.admin.patch("/program", {"saleActivityId": "sale"}))
    ok(
        201,
        tenant.admin.post(
            "/rewards", {"rewardId": "r", "name": "R", "pointsCost": 1, "fulfillment": "manual", "isActive": True}
        ),
    )
    offer_id = offer(tenant.admin, requiresActivation=False)
    offer_code = ok(200, tenant.read.get(f"/offers/{offer_id}")).data["offerCode"]
    ok(201, tenant.admin.post("/segments", {"segmentId": "s", "name": "Everyone"}))  # issue 25
    challenge = {"challengeId": "ch", "name": "Ch", "type": "text", "activityId": "sale", "status": "published"}
    ok(201, tenant.admin.post("/challenges", challenge))
    ok(201, tenant.admin.post("/promo-codes", {"code": "ERASE-PROMO", "activityId": "sale", "maxUsesPerMember": 5}))
    m = enrol(tenant.integration)["memberId"]
    secrets = values(PROFILE)
    for function, (client, method, path, body) in _calls(tenant, m, offer_id, offer_code).items():
        if function != "erase_member":  # the same requests work for the member before it is erased
            reply = client.call(method, path, body)
            assert reply.status in (200, 201, 204), (function, reply.text)
    ok(200, tenant.admin.delete(f"/members/{m}"))
    for function, (client, method, path, body) in _calls(tenant, m, offer_id, offer_code).items():
        reply = client.call(method, path, body)
        assert reply.status == AFTER_ERASURE[function], (function, reply.text)
        if reply.status == 409:
            assert reply.code == "invalid_state", (function, reply.text)
        assert leaks(reply.text, secrets) == [], function
