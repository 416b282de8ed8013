"""No read or write grows past DynamoDB's batch limits (issue 10, defect 4): BatchGetItem in chunks of
100 keys with unprocessed keys retried, transactions bounded, an order returnable 100 times and in full."""

import pytest
from loyalty.errors import Throttled
from loyalty.repository import retry, store

from tests.support.ledger import activity, assert_ledger_clean, balance, member
from tests.support.local import ok


def test_an_order_takes_a_hundred_returns_and_is_returned_in_full(tenant):
    activity(tenant.admin, "sale", type="multiplier", multiplier=1, isSaleActivity=True)
    ok(200, tenant.admin.patch("/program", {"saleActivityId": "sale"}))
    m = member(tenant.integration, "returns@example.com")
    created = tenant.integration.post("/orders", {"orderId": "o-1", "memberId": m, "total": "100.00"})
    assert created.data["pointsAwarded"] == 100
    for i in range(99):  # each return takes one point back: one `return` transaction each
        reply = tenant.integration.post("/orders/o-1/returns", {"returnedAmount": "1.00"})
        assert reply.status == 201, (i, reply.text)
    # the 100th return reads the member, the award and 99 returns: 101 keys
    last = tenant.integration.post("/orders/o-1/returns", {})
    assert last.status == 201, last.text
    assert last.data["order"]["returnedAmount"] == "100.00" and last.data["order"]["pointsReturned"] == 100
    assert len(last.data["order"]["transactionIds"]) == 101
    assert balance(tenant.read, m)["available"] == 0
    assert tenant.integration.post("/orders/o-1/returns", {}).code == "invalid_state"
    assert_ledger_clean(tenant.tenant_id)


@pytest.fixture
def many_items(fresh_table):
    keys = [store.key(f"T#batch#K#{i}", "ITEM") for i in range(250)]
    for i, k in enumerate(keys):
        if i % 3:
            store.put_plain({**k, "n": i})
    return keys


def test_get_many_reads_any_number_of_keys_in_order(many_items):
    asked = [*many_items, many_items[5], store.key("T#batch#missing", "ITEM")]
    found = store.get_many(asked)
    assert len(found) == len(asked)
    for i, item in enumerate(found[:250]):
        assert (item is None) if i % 3 == 0 else item["n"] == i
    assert found[250]["n"] == 5 and found[251] is None


def test_unprocessed_keys_are_asked_again_and_never_more_than_a_hundred_at_once(many_items, monkeypatch):
    real = store.client.batch_get_item
    sizes = []

    def partial(RequestItems):  # DynamoDB may leave keys unprocessed (throttling, the 16 MB limit)
        ((table, request),) = RequestItems.items()
        sizes.append(len(request["Keys"]))
        assert len(request["Keys"]) <= store.BATCH_GET_LIMIT
        served, left = request["Keys"][:7], request["Keys"][7:]
        answer = real(RequestItems={table: {**request, "Keys": served}})
        answer["UnprocessedKeys"] = {table: {**request, "Keys": left}} if left else {}
        return answer

    monkeypatch.setattr(store.client, "batch_get_item", partial)
    monkeypatch.setattr(retry.time, "sleep", lambda seconds: None)
    found = store.get_many(many_items)
    assert [item is not None for item in found] == [bool(i % 3) for i in range(250)]
    assert max(sizes) == 100 and len(sizes) > 250 // 7


def test_keys_left_unprocessed_for_good_are_a_429_not_a_500(many_items, monkeypatch):
    def nothing(RequestItems):
        return {"Responses": {}, "UnprocessedKeys": RequestItems}

    monkeypatch.setattr(store.client, "batch_get_item", nothing)
    monkeypatch.setattr(retry, "OUTAGE_BUDGET_SECONDS", 0.05)
    with pytest.raises(Throttled):
        store.get_many(many_items[:3])


def test_a_transaction_over_the_limit_is_refused_before_dynamodb(fresh_table):
    items = [store.put({**store.key(f"T#batch#W#{i}", "ITEM")}) for i in range(store.TRANSACT_LIMIT + 1)]
    with pytest.raises(retry.Rejected, match="at most 100"):
        store.transact(items)
    store.transact(items[:100])
    assert all(store.get_many([store.key(f"T#batch#W#{i}", "ITEM") for i in range(100)]))
