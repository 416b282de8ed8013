"""Return previews (`dryRun`) over the local API: the answer the return then gives, the same 4xx, nothing written."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from tests.support.ledger import activity, assert_ledger_clean, member
from tests.support.local import Reply, Tenant, tenant_digest

# what a preview can't know (ids of what the return creates, the moments it is made) or answers null
UNKNOWABLE = ("returnId", "transactionId", "createdAt")
ORDER_UNKNOWABLE = ("updatedAt", "transactionIds")
# what differs between twin tenants that do the same things at other moments
TWIN_DIFFERS = ("memberId", "orderedAt", "createdAt")
# a transaction as the ledger shows it, without its ids and times
LEDGER_FIELDS = (
    "type",
    "points",
    "status",
    "reason",
    "deficitPoints",
    "balanceAfter",
    "cancelledPoints",
    "returnedPoints",
)


def sale_program(tenant: Tenant, multiplier: float = 2, approval: str = "immediate") -> None:
    activity(
        tenant.admin, "sale", type="multiplier", multiplier=multiplier, isSaleActivity=True, approvalMethod=approval
    )
    assert tenant.admin.patch("/program", {"saleActivityId": "sale"}).status == 200


def record_order(tenant: Tenant, member_id: str, order_id: str, total: str) -> dict[str, Any]:
    reply = tenant.integration.post("/orders", {"orderId": order_id, "memberId": member_id, "total": total})
    assert reply.status == 201, reply.text
    return reply.data


def give_back(tenant: Tenant, order_id: str, body: dict[str, Any], key: str | None = None, client: Any = None) -> Reply:
    headers = {"Idempotency-Key": key} if key else None
    return (client or tenant.integration).post(f"/orders/{order_id}/returns", body, headers=headers)


def comparable(answer: dict[str, Any], *, twin: bool = False) -> dict[str, Any]:
    """A return's answer without what only the real return has (and, for a twin tenant's, its ids and times)."""
    left_out = (*UNKNOWABLE, *ORDER_UNKNOWABLE, *(TWIN_DIFFERS if twin else ()))
    order = {k: v for k, v in answer["order"].items() if k not in left_out}
    return {**{k: v for k, v in answer.items() if k not in left_out}, "order": order}


def preview_then_return(tenant: Tenant, order_id: str, body: dict[str, Any], key: str) -> Reply:
    """Preview a return (under `key`), check it wrote nothing, make the real return under the same key, and
    check that the preview answered what the return did: field by field, or the very same 4xx."""
    before = tenant_digest(tenant.tenant_id)
    seen = give_back(tenant, order_id, {**body, "dryRun": True}, key)
    assert tenant_digest(tenant.tenant_id) == before, ("a preview wrote", body, seen.text)
    real = give_back(tenant, order_id, body, key)
    assert "idempotent-replayed" not in real.headers, "the preview's Idempotency-Key was stored"
    if real.status == 201:
        assert seen.status == 200, seen.text
        assert seen.data["returnId"] is None and seen.data["transactionId"] is None
        assert comparable(seen.data) == comparable(real.data)
        # the preview's order names only what exists: the return transaction is the real return's own
        made = [real.data["transactionId"]] if real.data["transactionId"] else []
        assert seen.data["order"]["transactionIds"] + made == real.data["order"]["transactionIds"]
    else:
        assert (seen.status, seen.json) == (real.status, real.json), (seen.text, real.text)
    return real


@dataclass
class Scenario:
    """Orders and returns drawn from a seed: several amounts, partial and full returns, returns after
    earlier ones, points spent before a return (a deficit), pending awards approved midway."""

    seed: int
    approval: str = "immediate"
    multiplier: float = 1
    steps: list[tuple[str, Any]] = field(default_factory=list)

    @classmethod
    def drawn(cls, seed: int) -> Scenario:
        rng = random.Random(seed)
        scenario = cls(seed, rng.choice(["immediate", "manual"]), rng.choice([1, 2, 1.5]))
        for number in range(2):
            order_id = f"o-{number}"
            total = Decimal(rng.randint(1, 30000)) / 100
            scenario.steps.append(("order", (order_id, str(total))))
            if rng.random() < 0.5:
                scenario.steps.append(("spend", order_id))  # spend most of what is available: a deficit
            left = total
            for _ in range(rng.randint(1, 4)):
                if scenario.approval == "manual" and rng.random() < 0.3:
                    scenario.steps.append(("approve", order_id))
                if rng.random() < 0.2:  # more than is left: 400, as the return would answer
                    scenario.steps.append(("return", (order_id, {"returnedAmount": str(left + Decimal("0.01"))})))
                amount = min(left, Decimal(rng.randint(1, max(1, int(left * 100)))) / 100)
                scenario.steps.append(("return", (order_id, {"returnedAmount": str(amount)})))
                left -= amount
                if left <= 0:
                    break
            scenario.steps.append(("return", (order_id, {})))  # the rest in full (or 409 if nothing is left)
            scenario.steps.append(("return", (order_id, {})))  # returned in full already: 409
        return scenario

    def run(self, tenant: Tenant, previews: bool) -> list[Reply]:
        """The scenario on a fresh tenant; every return previewed first when `previews`. The returns' replies."""
        sale_program(tenant, self.multiplier, self.approval)
        member_id = member(tenant.integration, f"s{self.seed}@example.com")
        replies, orders = [], {}
        for number, (kind, what) in enumerate(self.steps):
            if kind == "order":
                orders[what[0]] = record_order(tenant, member_id, *what)
            elif kind == "spend":
                available = tenant.read.get(f"/members/{member_id}").data["balance"]["available"]
                if available > 1:
                    spent = {"points": available - 1, "reason": "spent"}
                    assert tenant.integration.post(f"/members/{member_id}/deductions", spent).status == 201
            elif kind == "approve":
                for tx in orders[what]["transactionIds"]:
                    tenant.admin.post(f"/transactions/{tx}/approve")  # 409 once approved or rejected: fine
            else:
                key = f"return-{self.seed}-{number}"
                replies.append(
                    preview_then_return(tenant, *what, key) if previews else give_back(tenant, *what, key=key)
                )
        return replies


def ledger_state(tenant: Tenant) -> dict[str, Any]:
    """What the tenant's members, orders and ledger show, without ids and times."""
    (only,) = tenant.read.get("/members").data
    transactions = tenant.read.get(f"/members/{only['memberId']}/transactions?limit=100").data
    orders = tenant.read.get(f"/members/{only['memberId']}/orders").data
    return {
        "balance": only["balance"],
        "orders": [{k: v for k, v in o.items() if k not in (*ORDER_UNKNOWABLE, *TWIN_DIFFERS)} for o in orders],
        "ledger": sorted(tuple(str(t.get(f)) for f in LEDGER_FIELDS) for t in transactions),
    }


SEEDS = range(6)


def test_a_preview_answers_what_the_return_then_does_and_changes_nothing(local_api):
    """For drawn orders and returns, each preview equals the return made right after it (or its 4xx), writes
    nothing, and the tenant ends exactly as a twin tenant that made the same returns without previews."""
    seen: set[str] = set()
    for seed in SEEDS:
        scenario = Scenario.drawn(seed)
        previewed, alone = local_api.new_tenant(), local_api.new_tenant()
        with_previews, without = scenario.run(previewed, True), scenario.run(alone, False)
        assert [(r.status, comparable(r.data, twin=True) if r.status == 201 else r.json) for r in with_previews] == [
            (r.status, comparable(r.data, twin=True) if r.status == 201 else r.json) for r in without
        ], seed
        assert ledger_state(previewed) == ledger_state(alone), seed
        assert_ledger_clean(previewed.tenant_id)
        for reply in with_previews:
            data = reply.data if reply.status == 201 else {}
            seen |= {
                str(reply.status),
                *(["deficit"] if data.get("deficitPoints") else []),
                *(["pending"] if data.get("cancelledPendingPoints") else []),
                *(["partial"] if data and data["order"]["returnedAmount"] != data["order"]["total"] else []),
            }
    # the seeds reach every case this test is about
    assert {"201", "400", "409", "deficit", "pending", "partial"} <= seen, seen


def test_a_preview_answers_the_same_refusal_as_the_return_and_stores_nothing(tenant, local_api):
    sale_program(tenant)
    member_id = member(tenant.integration, "r@example.com")
    record_order(tenant, member_id, "o-1", "40.00")
    erased = member(tenant.integration, "gone@example.com")
    record_order(tenant, erased, "o-2", "25.00")
    assert tenant.admin.delete(f"/members/{erased}").status < 300
    other = local_api.new_tenant()
    for number, (order_id, body) in enumerate(
        [
            ("nope", {}),  # unknown order: 404
            ("o-1", {"returnedAmount": "40.01"}),  # more than the order: 400
            ("o-1", {"returnedAmount": "0"}),
            ("o-1", {"returnedAmount": "-1.00"}),
            ("o-1", {"returnedAmount": "ten"}),
            ("o-1", {"returnedAmount": 5}),
            ("o-1", {"returnedAmount": "1.00", "extra": 1}),
            ("o-1", {"returnedAmount": "10.00"}),  # a partial return
            ("o-1", {"returnedAmount": "30.01"}),  # more than is left after it: 400
            ("o-1", {}),  # the rest
            ("o-1", {}),  # returned in full already: 409
            ("o-2", {"returnedAmount": "5.00"}),  # an erased member's order: as the return answers
        ]
    ):
        preview_then_return(tenant, order_id, body, f"k-{number}")
    before = tenant_digest(tenant.tenant_id)
    for client, order_id in [(other.integration, "o-1"), (tenant.read, "o-1")]:  # another tenant's: 404; 403
        seen = give_back(tenant, order_id, {"dryRun": True}, client=client)
        real = give_back(tenant, order_id, {}, client=client)
        assert (seen.status, seen.json) == (real.status, real.json) and seen.status in (403, 404)
    assert tenant_digest(tenant.tenant_id) == before
    assert_ledger_clean(tenant.tenant_id)


@pytest.mark.parametrize("flag", ["true", "false", 1, 0, None, [], {}])
def test_dry_run_is_a_json_boolean(tenant, flag):
    sale_program(tenant)
    record_order(tenant, member(tenant.integration, "b@example.com"), "o-1", "10.00")
    before = tenant_digest(tenant.tenant_id)
    refused = give_back(tenant, "o-1", {"dryRun": flag}, "k-flag")
    assert refused.status == 400 and refused.code == "validation_error", refused.text
    assert refused.json["error"]["details"][0]["field"] == "dryRun"
    assert tenant_digest(tenant.tenant_id) == before


def test_a_preview_takes_no_idempotency_key(tenant):
    """A preview's key is neither stored (the same key then makes the return) nor replayed (a preview under a
    key a return used answers from the state now); `dryRun: false` is a real return."""
    sale_program(tenant)
    record_order(tenant, member(tenant.integration, "i@example.com"), "o-1", "50.00")  # 100 points
    half = {"returnedAmount": "25.00"}
    first = preview_then_return(tenant, "o-1", half, "k-1")
    assert first.status == 201 and first.data["points"] == 50
    again = give_back(tenant, "o-1", {**half, "dryRun": True}, "k-1")  # a preview: not the stored answer, not 422
    assert again.status == 200 and again.data["order"]["pointsReturned"] == 100
    replay = give_back(tenant, "o-1", half, "k-1")  # the real return under the key: replayed as stored
    assert replay.headers.get("idempotent-replayed") == "true" and replay.json == first.json
    rest = give_back(tenant, "o-1", {"dryRun": False}, "k-2")
    assert rest.status == 201 and rest.data["returnId"] and rest.data["order"]["pointsReturned"] == 100
    done = give_back(tenant, "o-1", {"dryRun": True}, "k-2")
    assert done.status == 409 and done.code == "invalid_state"
    assert_ledger_clean(tenant.tenant_id)
