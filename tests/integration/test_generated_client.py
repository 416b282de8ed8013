"""A client generated from the committed docs/openapi.json by openapi-python-client drives a merchant's day against
the local API: every answer, success or error, parses into the document's models (issue 22)."""

from __future__ import annotations

import datetime
from types import ModuleType
from typing import Any

import httpx
import pytest
from loyalty.routes import STAGE

from tests.support import openapi_check
from tests.support.generated_client import generate, module


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> ModuleType:
    """Generated once per test session."""
    return generate(tmp_path_factory.mktemp("generated"))


class Api:
    """The generated package's operations and models, called with one key."""

    def __init__(self, generated: ModuleType, port: int, key: str) -> None:
        self.package, self.models = generated, module(generated, "models")
        # an answer the document does not list raises errors.UnexpectedStatus instead of parsing as None
        # and each answer is also checked against the document's schema, as the suite's own client does
        self.client = generated.AuthenticatedClient(
            base_url=f"http://127.0.0.1:{port}/{STAGE}",
            token=key,
            raise_on_unexpected_status=True,
            httpx_args={"event_hooks": {"response": [_documented]}},
        )

    def __call__(self, operation: str, **kw: Any) -> Any:
        """Call an operation (e.g. "members.create_member"); the generated Response with `.parsed`."""
        return module(self.package, f"api.{operation}").sync_detailed(client=self.client, **kw)


def _documented(response: httpx.Response) -> None:
    response.read()
    path = response.request.url.raw_path.decode().removeprefix(f"/{STAGE}")
    openapi_check.check(response.request.method, path, response.status_code, response.text)


def refused(api: Api, status: int, code: str, operation: str, **kw: Any) -> Any:
    """Call an operation that must be refused: its answer parses as the document's Error model."""
    response = api(operation, **kw)
    assert response.status_code == status, (operation, response.status_code, response.content)
    assert isinstance(response.parsed, api.models.Error), (operation, type(response.parsed))
    assert response.parsed.error.code == code, response.parsed.error
    return response.parsed


def created(api: Api, operation: str, status: int = 201, **kw: Any) -> Any:
    """Call an operation that must succeed; the parsed data."""
    response = api(operation, **kw)
    assert response.status_code == status, (operation, response.status_code, response.content)
    assert not isinstance(response.parsed, api.models.Error)
    return response.parsed.data


def test_a_generated_client_runs_the_merchant_scenario_and_parses_every_answer(generated, local_api, tenant):
    admin, shop, reader = (
        Api(generated, local_api.port, tenant.keys[s]["key"]) for s in ("admin", "integration", "read")
    )
    m = admin.models

    # catalog: an activity with no frequency cap (its interval is null) lists and reads back
    activity = created(admin, "activities.create_activity", body=m.ActivityCreate(activity_id="visit", name="Visit"))
    assert activity.max_award_frequency_interval is None
    listed = created(reader, "activities.list_activities", status=200)
    assert [one.activity_id for one in listed] == ["visit"]
    capped = created(
        admin,
        "activities.update_activity",
        status=200,
        activity_id="visit",
        body=m.ActivityUpdate(
            max_award_frequency=10, max_award_frequency_interval=m.ActivityUpdateMaxAwardFrequencyIntervalType0("day")
        ),
    )
    assert capped.max_award_frequency_interval == "day"

    # a member, and the same email again
    member = created(shop, "members.create_member", body=m.MemberCreate(email="ana@example.com", first_name="Ana"))
    refused(shop, 409, "member_exists", "members.create_member", body=m.MemberCreate(email="ANA@example.com"))
    refused(reader, 403, "forbidden", "members.create_member", body=m.MemberCreate(email="bo@example.com"))

    # awards, and the ledger paged with nextToken
    for points in (10, 20, 30):
        award = created(
            shop,
            "points.create_award",
            member_id=member.member_id,
            body=m.AwardCreate(activity_id="visit", points=points),
        )
        assert award.status == "approved"
    refused(
        shop,
        404,
        "not_found",
        "points.create_award",
        member_id=member.member_id,
        body=m.AwardCreate(activity_id="nope"),
    )
    invalid = refused(
        shop,
        400,
        "validation_error",
        "points.create_award",
        member_id=member.member_id,
        body=m.AwardCreate(activity_id="visit", points=0),
    )
    assert [detail.field for detail in invalid.error.details] == ["points"]
    refused(
        shop,
        409,
        "insufficient_points",
        "points.create_deduction",
        member_id=member.member_id,
        body=m.DeductionCreate(points=61, reason="Too many"),
    )
    first = api_page(reader, member.member_id, limit=2)
    assert len(first.data) == 2 and isinstance(first.next_token, str)
    rest = api_page(reader, member.member_id, limit=2, next_token=first.next_token)
    assert rest.next_token is None
    assert [entry.points for entry in first.data + rest.data] == [30, 20, 10]
    refused(
        reader,
        400,
        "validation_error",
        "points.list_member_transactions",
        member_id=member.member_id,
        next_token="garbage",
    )

    # an offer redeemed on an order: 201, the same request again 200 with the same redemption, other data 409
    offer = created(
        admin,
        "offers.create_offer",
        body=m.OfferCreate(
            offer_code="SPRING50",
            name="Half off",
            reward_type=m.OfferCreateRewardType("percentage"),
            offer_amount="50",
            status=m.OfferCreateStatus("published"),
            start_date=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC),
            end_date=datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC),
        ),
    )
    redemption = m.OfferRedemptionCreate(
        team_id=tenant.tenant_id, offer_code="SPRING50", member_id=member.member_id, order_id="o-1", value="40.00"
    )
    first_use = created(shop, "offers.create_offer_redemption", body=redemption)
    again = shop("offers.create_offer_redemption", body=redemption)
    assert again.status_code == 200 and type(again.parsed).__name__ == "CreateOfferRedemptionResponse200"
    assert (again.parsed.data.id, again.parsed.data.reward_amount) == (first_use.id, "20.00")
    other = m.OfferRedemptionCreate(
        team_id=tenant.tenant_id, offer_code="SPRING50", member_id=member.member_id, order_id="o-1", value="50.00"
    )
    refused(shop, 409, "already_redeemed", "offers.create_offer_redemption", body=other)
    foreign = m.OfferRedemptionCreate(team_id="someone-else", offer_code="SPRING50", order_id="o-2")
    refused(shop, 403, "forbidden", "offers.create_offer_redemption", body=foreign)

    # a voucher: issue, look up by code, redeem once
    voucher = created(
        shop, "vouchers.issue_voucher", offer_id=offer.offer_id, body=m.VoucherIssue(member_id=member.member_id)
    )
    looked_up = created(reader, "vouchers.get_voucher", status=200, voucher_id_or_code=voucher.redemption_code)
    assert looked_up.voucher_id == voucher.voucher_id
    redeemed = created(
        shop,
        "vouchers.redeem_voucher",
        status=200,
        voucher_id_or_code=voucher.voucher_id,
        body=m.VoucherRedeem(order_id="o-1"),
    )
    assert redeemed.status == "redeemed"
    refused(
        shop,
        409,
        "already_redeemed",
        "vouchers.redeem_voucher",
        voucher_id_or_code=voucher.voucher_id,
        body=m.VoucherRedeem(),
    )
    refused(reader, 404, "not_found", "vouchers.get_voucher", voucher_id_or_code="NO-SUCH-CODE")

    # an Idempotency-Key reused with another body, and a key nobody issued
    body = m.AwardCreate(activity_id="visit", points=1)
    created(shop, "points.create_award", member_id=member.member_id, body=body, idempotency_key="k-1")
    refused(
        shop,
        422,
        "idempotency_key_reused",
        "points.create_award",
        member_id=member.member_id,
        body=m.AwardCreate(activity_id="visit", points=2),
        idempotency_key="k-1",
    )
    stranger = Api(generated, local_api.port, "lk_nobody_" + "x" * 32)
    refused(stranger, 401, "unauthorized", "platform.get_status")
    assert created(reader, "platform.get_program", status=200).currency


def api_page(api: Api, member_id: str, **kw: Any) -> Any:
    response = api("points.list_member_transactions", member_id=member_id, **kw)
    assert response.status_code == 200, response.content
    return response.parsed
