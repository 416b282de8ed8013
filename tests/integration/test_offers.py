"""Offers over the local API: catalog and status moves, a member's offers, activation, offer redemptions
with every check, the reward in money or ledger points, once per order, and the lists."""

from datetime import UTC, datetime, timedelta

from tests.support.ledger import activity, assert_ledger_clean, award, balance, member
from tests.support.local import ok


def iso(delta: timedelta = timedelta()) -> str:
    return (datetime.now(UTC) + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


DAY = timedelta(days=1)


def offer(tenant, code, **fields):
    body = {"offerCode": code, "name": code.title(), "rewardType": "amount", "offerAmount": "5.00", **fields}
    reply = tenant.admin.post("/offers", body)
    assert reply.status == 201, reply.text
    return reply.data


def live(tenant, code, **fields):
    return offer(tenant, code, status="published", **fields)


def redeem(tenant, code, *, headers=None, **fields):
    body = {"teamId": tenant.tenant_id, "offerCode": code, **fields}
    return tenant.integration.post("/offer-redemptions", body, headers=headers)


def test_catalog_every_field_unique_code_and_forward_only_status(tenant):
    full = {
        "merchantName": "Bob's Warehouse",
        "description": "Half off",
        "rewardType": "percentage",
        "offerAmount": "50",
        "minSpendAmount": "5.00",
        "maxRewardAmount": "30.00",
        "currency": "EUR",
        "startDate": "2026-03-01T00:00:00+01:00",
        "endDate": "2030-05-31T23:59:59Z",
        "requiresActivation": True,
        "maxRedemptionsPerMember": 1,
        "maxRedemptionsTotal": 100,
        "channels": ["in-store"],
        "categoryId": "3",
        "tags": [{"key": "purchase-channel", "value": "In-Store"}],
        "contentIds": ["SKU1"],
        "images": {"logo": "https://x.io/l.png", "hero": None},
        "messages": {"short": "Save", "pre": None, "post": None, "thankYou": "Thanks"},
    }
    created = offer(tenant, "SPRING", **full)
    assert created["status"] == "draft" and created["redemptionCount"] == 0
    assert created["startDate"] == "2026-02-28T23:00:00Z"  # normalised to UTC
    assert {k: created[k] for k in full if k != "startDate"} == {k: v for k, v in full.items() if k != "startDate"}
    assert tenant.read.get(f"/offers/{created['offerId']}").data == created
    again = tenant.admin.post("/offers", {"offerCode": "SPRING", "name": "x", "rewardType": "points", "offerAmount": 1})
    assert again.status == 409 and again.code == "duplicate"
    path = f"/offers/{created['offerId']}"
    assert tenant.admin.patch(path, {"status": "published"}).data["status"] == "published"
    back = tenant.admin.patch(path, {"status": "draft"})
    assert back.status == 409 and back.code == "invalid_state"
    assert tenant.admin.patch(path, {"status": "archived"}).data["status"] == "archived"
    for change in ({"status": "published"}, {"name": "Other"}):
        reply = tenant.admin.patch(path, change)
        assert reply.status == 409 and reply.code == "invalid_state", reply.text
    assert tenant.admin.patch(path, {"status": "archived"}).status == 200  # not a move: harmless
    draft = offer(tenant, "DRAFT")
    assert tenant.admin.patch(f"/offers/{draft['offerId']}", {"status": "archived"}).status == 200
    assert tenant.read.get("/offers/nope").status == 404
    assert tenant.integration.post("/offers", {}).status == 403


def test_bad_offers_are_400_and_store_nothing(tenant):
    base = {"offerCode": "BAD", "name": "Bad", "rewardType": "percentage", "offerAmount": "10"}
    for change in (
        {"offerAmount": "150"},
        {"offerAmount": "0"},
        {"rewardType": "points", "offerAmount": "1.5"},
        {"rewardType": "points", "offerAmount": "10", "maxRewardAmount": "1.00"},
        {"rewardType": "bogus"},
        {"offerAmount": 1.5},
        {"offerAmount": "-1"},
        {"startDate": "2030-01-02T00:00:00Z", "endDate": "2030-01-01T00:00:00Z"},
        {"status": "archived"},
        {"offerCode": "has space"},
        {"channels": ["moon"]},
        {"maxRedemptionsTotal": 0},
        {"minSpendAmount": 5},
        {"images": {"logo": "ftp://x"}},
        {"tags": [{"key": "k"}]},
        {"colour": "red"},
    ):
        reply = tenant.admin.post("/offers", {**base, **change})
        assert reply.status == 400 and reply.code == "validation_error", (change, reply.text)
    assert tenant.read.get("/offers").data == []
    created = offer(tenant, "OK", rewardType="percentage", offerAmount="10")
    for change in (
        {"offerAmount": "101"},
        {"offerCode": "NEW"},
        {"endDate": "1999-01-01T00:00:00Z", "startDate": "2000-01-01T00:00:00Z"},
    ):
        reply = tenant.admin.patch(f"/offers/{created['offerId']}", change)
        assert reply.status == 400, (change, reply.text)
    assert tenant.read.get(f"/offers/{created['offerId']}").data == created


def test_lists_page_with_filters(tenant):
    made = [offer(tenant, f"O{i}", status="published" if i % 2 else "draft") for i in range(7)]
    seen, token = [], None
    while True:
        reply = tenant.read.get("/offers?limit=2" + (f"&nextToken={token}" if token else ""))
        assert reply.status == 200, reply.text
        assert len(reply.data) <= 2
        seen += [o["offerCode"] for o in reply.data]
        token = reply.json["nextToken"]
        if not token:
            break
    assert sorted(seen) == sorted(o["offerCode"] for o in made) and len(seen) == 7
    published = [o["offerCode"] for o in tenant.read.get("/offers?status=published").data]
    assert published == ["O5", "O3", "O1"]  # newest first
    assert [o["offerCode"] for o in tenant.read.get("/offers?offerCode=O4").data] == ["O4"]
    assert tenant.read.get("/offers?offerCode=O4&status=published").data == []
    assert tenant.read.get("/offers?offerCode=NONE").data == []
    assert tenant.read.get("/offers?status=nope").status == 400
    assert tenant.read.get("/offers?nextToken=abc.def").status == 400


def test_members_offers_activation_and_what_is_left(tenant):
    m = member(tenant.integration, "a@example.com")
    clip = live(tenant, "CLIP", requiresActivation=True, endDate=iso(10 * DAY + timedelta(hours=1)))
    live(tenant, "TWICE", maxRedemptionsPerMember=2, maxRedemptionsTotal=5)
    offer(tenant, "DRAFT")
    live(tenant, "LATER", startDate=iso(3 * DAY))
    live(tenant, "OVER", endDate=iso(-DAY), startDate=iso(-3 * DAY))
    archived = live(tenant, "GONE")
    ok(200, tenant.admin.patch(f"/offers/{archived['offerId']}", {"status": "archived"}))
    shown = tenant.read.get(f"/members/{m}/offers")
    assert shown.status == 200, shown.text
    by_code = {o["offerCode"]: o for o in shown.data}
    assert set(by_code) == {"CLIP", "TWICE"}
    assert by_code["CLIP"]["activated"] is False and by_code["CLIP"]["daysRemaining"] == 10
    assert by_code["TWICE"]["redemptionsLeft"] == 2 and by_code["TWICE"]["daysRemaining"] is None
    path = f"/members/{m}/offers/{clip['offerId']}/activation"
    first = tenant.integration.post(path)
    assert first.status == 200 and first.data["activated"] is True, first.text
    assert tenant.integration.post(path).data["activatedAt"] == first.data["activatedAt"]
    by_code = {o["offerCode"]: o for o in tenant.read.get(f"/members/{m}/offers").data}
    assert by_code["CLIP"]["activated"] is True and by_code["CLIP"]["activatedAt"] == first.data["activatedAt"]
    for _ in range(2):
        assert redeem(tenant, "TWICE", memberId=m).status == 201
    assert "TWICE" not in {o["offerCode"] for o in tenant.read.get(f"/members/{m}/offers").data}
    other = member(tenant.integration, "b@example.com")
    assert {o["offerCode"]: o for o in tenant.read.get(f"/members/{other}/offers").data}["TWICE"][
        "redemptionsLeft"
    ] == 2
    unclipped = tenant.integration.delete(path)
    assert unclipped.status == 200 and unclipped.data == {**first.data, "activated": False, "activatedAt": None}
    assert tenant.integration.delete(path).status == 200
    assert redeem(tenant, "CLIP", memberId=m).code == "offer_not_activated"
    assert tenant.integration.post(f"/members/{m}/offers/{archived['offerId']}/activation").code == "offer_not_active"
    assert tenant.integration.post(f"/members/nobody/offers/{clip['offerId']}/activation").status == 404
    assert tenant.integration.post(f"/members/{m}/offers/nope/activation").status == 404
    assert tenant.read.get("/members/nobody/offers").status == 404
    assert tenant.read.post(path).status == 403
    assert_ledger_clean(tenant.tenant_id)


def test_redemption_checks_in_order_and_nothing_stored_on_refusal(tenant):
    m = member(tenant.integration, "c@example.com")
    offer(tenant, "DRAFT")
    live(tenant, "LATER", startDate=iso(DAY))
    live(tenant, "SKU", contentIds=["A", "B"])
    live(tenant, "MIN", minSpendAmount="20.00")
    live(tenant, "CLIP", requiresActivation=True)
    live(tenant, "PTS", rewardType="points", offerAmount="250")
    live(tenant, "EUR", currency="EUR")
    assert redeem(tenant, "MIN", teamId="other", memberId=m).status == 403
    assert redeem(tenant, "NOPE").status == 404
    assert redeem(tenant, "MIN", memberId="nobody").status == 404
    refusals = [
        (redeem(tenant, "DRAFT"), 409, "offer_not_active"),
        (redeem(tenant, "LATER"), 409, "offer_not_active"),
        (redeem(tenant, "MIN", redeemedAt=iso(DAY)), 400, "validation_error"),
        (redeem(tenant, "SKU", contentIds=["C"]), 409, "invalid_state"),
        (redeem(tenant, "SKU"), 409, "invalid_state"),
        (redeem(tenant, "MIN", value="19.99"), 409, "minimum_spend_not_met"),
        (redeem(tenant, "MIN"), 409, "minimum_spend_not_met"),
        (redeem(tenant, "CLIP", memberId=m), 409, "offer_not_activated"),
        (redeem(tenant, "CLIP"), 409, "offer_not_activated"),
        (redeem(tenant, "PTS"), 400, "validation_error"),
        (redeem(tenant, "EUR", currency="USD"), 400, "validation_error"),
        (redeem(tenant, "MIN", value="20.123456"), 400, "validation_error"),
        (redeem(tenant, "MIN", value=20.5), 400, "validation_error"),
        (redeem(tenant, "MIN", extra=1), 400, "validation_error"),
        (tenant.integration.post("/offer-redemptions", {"offerCode": "MIN"}), 400, "validation_error"),
    ]
    for reply, status, code in refusals:
        assert (reply.status, reply.code) == (status, code), reply.text
    assert tenant.read.get("/offer-redemptions").data == []
    assert sum(o["redemptionCount"] for o in tenant.read.get("/offers?limit=100").data) == 0
    assert tenant.read.get(f"/members/{m}/offers").status == 200
    assert_ledger_clean(tenant.tenant_id)


def test_rewards_in_decimal_money_and_points_in_the_ledger(tenant):
    activity(tenant.admin, "grant", points=1)
    m = member(tenant.integration, "d@example.com")
    assert award(tenant.integration, m, "grant", points=10).status == 201
    live(tenant, "HALF", rewardType="percentage", offerAmount="50", maxRewardAmount="5.00")
    live(tenant, "THIRD", rewardType="percentage", offerAmount="33.3333")
    live(tenant, "FIVE", rewardType="amount", offerAmount="5")
    live(tenant, "PTS", rewardType="points", offerAmount=250, contentIds=["SKU1"])
    assert redeem(tenant, "HALF", value="8.00").data["rewardAmount"] == "4.00"
    assert redeem(tenant, "HALF", value="13.33").data["rewardAmount"] == "5.00"
    assert redeem(tenant, "THIRD", value="10.00").data["rewardAmount"] == "3.33"
    five = redeem(tenant, "FIVE")
    assert (five.data["rewardAmount"], five.data["points"], five.data["transactionId"]) == ("5.00", None, None)
    points = redeem(tenant, "PTS", memberId=m, orderId="o-1", contentIds=["SKU1", "SKU2"], value="13.33")
    assert points.status == 201, points.text
    assert points.data["points"] == 250 and points.data["rewardAmount"] is None
    entry = tenant.read.get(f"/transactions/{points.data['transactionId']}").data
    assert (entry["type"], entry["status"], entry["points"], entry["memberId"]) == ("award", "approved", 250, m)
    assert balance(tenant.read, m)["available"] == 260
    assert tenant.read.get(f"/offer-redemptions/{points.data['id']}").data == points.data
    assert_ledger_clean(tenant.tenant_id)


def test_once_per_order_and_idempotency_key_replay(tenant):
    m = member(tenant.integration, "e@example.com")
    live(tenant, "FIVE")
    first = redeem(tenant, "FIVE", memberId=m, orderId="o-1", value="10.00")
    assert first.status == 201, first.text
    same = redeem(tenant, "FIVE", memberId=m, orderId="o-1", value="10.00")
    assert same.status == 200 and same.data == first.data
    other = redeem(tenant, "FIVE", memberId=m, orderId="o-1", value="11.00")
    assert other.status == 409 and other.code == "already_redeemed"
    key = {"Idempotency-Key": "till-7-42"}
    keyed = redeem(tenant, "FIVE", memberId=m, orderId="o-2", headers=key)
    replay = redeem(tenant, "FIVE", memberId=m, orderId="o-2", headers=key)
    assert replay.status == 201 and replay.text == keyed.text and replay.headers["idempotent-replayed"] == "true"
    assert redeem(tenant, "FIVE", memberId=m, orderId="o-3", headers=key).status == 422
    assert len(tenant.read.get("/offer-redemptions").data) == 2
    offers = tenant.read.get("/offers?offerCode=FIVE").data
    assert offers[0]["redemptionCount"] == 2
    assert_ledger_clean(tenant.tenant_id)


def test_limits_per_member_and_in_total(tenant):
    a, b = member(tenant.integration, "f@example.com"), member(tenant.integration, "g@example.com")
    created = live(tenant, "LIM", maxRedemptionsPerMember=2, maxRedemptionsTotal=3)
    assert [redeem(tenant, "LIM", memberId=a).status for _ in range(3)] == [201, 201, 409]
    assert redeem(tenant, "LIM", memberId=a).code == "offer_limit_reached"
    assert redeem(tenant, "LIM", memberId=b).status == 201
    assert redeem(tenant, "LIM", memberId=b).code == "offer_limit_reached"
    path = f"/offers/{created['offerId']}"
    assert tenant.admin.patch(path, {"maxRedemptionsTotal": 2}).data["maxRedemptionsTotal"] == 2  # below the 3 uses
    assert redeem(tenant, "LIM", memberId=b).json["error"]["message"] == (
        "The offer has been used 3 times already (the limit is 2)."
    )
    assert tenant.admin.patch(path, {"maxRedemptionsPerMember": 1}).status == 200  # below a's 2 uses
    assert redeem(tenant, "LIM", memberId=a).json["error"]["message"] == (
        "The member has used this offer 2 times already (the limit is 1)."
    )
    assert_ledger_clean(tenant.tenant_id)  # a limit lowered under the uses made is not damage
    assert tenant.admin.patch(path, {"maxRedemptionsTotal": 4, "maxRedemptionsPerMember": 2}).status == 200
    assert redeem(tenant, "LIM", memberId=b).status == 201
    assert redeem(tenant, "LIM").code == "validation_error"  # limited per member: who is it?
    assert tenant.admin.patch(path, {"maxRedemptionsTotal": None, "maxRedemptionsPerMember": None}).status == 200
    assert redeem(tenant, "LIM").status == 201
    assert tenant.read.get(path).data["redemptionCount"] == 5
    assert_ledger_clean(tenant.tenant_id)


def test_redemption_lists_and_a_members_redemptions_with_their_offers(tenant):
    m, other = member(tenant.integration, "h@example.com"), member(tenant.integration, "i@example.com")
    one = live(tenant, "ONE", requiresActivation=True, endDate=iso(5 * DAY + timedelta(hours=1)))
    live(tenant, "TWO")
    ok(200, tenant.integration.post(f"/members/{m}/offers/{one['offerId']}/activation"))
    made = [
        redeem(tenant, "ONE", memberId=m, redeemedAt="2026-01-10T10:00:00Z").data,
        redeem(tenant, "TWO", memberId=m, redeemedAt="2026-02-10T10:00:00Z").data,
        redeem(tenant, "TWO", memberId=m, redeemedAt="2026-03-10T10:00:00Z").data,
        redeem(tenant, "TWO", memberId=other, redeemedAt="2026-03-11T10:00:00Z").data,
    ]
    assert all(r is not None for r in made)
    everything = tenant.read.get("/offer-redemptions").data
    assert [r["id"] for r in everything] == [r["id"] for r in reversed(made)]
    two = tenant.read.get("/offer-redemptions?offerCode=TWO&from=2026-02-10T10:00:00Z&to=2026-03-10T10:00:00Z")
    assert [r["id"] for r in two.data] == [made[2]["id"], made[1]["id"]]
    assert tenant.read.get("/offer-redemptions?offerCode=NOPE").data == []
    assert tenant.read.get("/offer-redemptions?from=2026-03-01T00:00:00Z&to=2026-02-01T00:00:00Z").status == 400
    page = tenant.read.get(
        f"/members/{m}/offer-redemptions?startDate=2026-01-01T00:00:00Z&endDate=2026-02-28T00:00:00Z"
    )
    assert page.status == 200, page.text
    assert [r["id"] for r in page.data["redemptions"]] == [made[1]["id"], made[0]["id"]]
    referenced = {o["offerCode"]: o for o in page.data["offers"]}
    assert set(referenced) == {"ONE", "TWO"} and len(page.data["offers"]) == 2
    assert referenced["ONE"]["activated"] is True and referenced["ONE"]["daysRemaining"] == 5
    seen, token = [], None
    while True:
        reply = tenant.read.get(f"/members/{m}/offer-redemptions?limit=1" + (f"&nextToken={token}" if token else ""))
        seen += [r["id"] for r in reply.data["redemptions"]]
        assert len(reply.data["offers"]) == len(reply.data["redemptions"])
        token = reply.json["nextToken"]
        if not token:
            break
    assert seen == [made[2]["id"], made[1]["id"], made[0]["id"]]
    assert tenant.read.get("/members/nobody/offer-redemptions").status == 404
    assert tenant.read.get("/offer-redemptions/nope").status == 404
    assert_ledger_clean(tenant.tenant_id)


def test_another_tenants_offers_are_not_found(local_api, tenant):
    created = live(tenant, "MINE")
    stranger = local_api.new_tenant()
    assert stranger.read.get(f"/offers/{created['offerId']}").status == 404
    assert stranger.read.get("/offers").data == []
    body = {"teamId": stranger.tenant_id, "offerCode": "MINE"}
    assert stranger.integration.post("/offer-redemptions", body).status == 404
    assert stranger.integration.post("/offer-redemptions", {**body, "teamId": tenant.tenant_id}).status == 403
