"""Idempotency of operations that write in several transactions (issue 10, defect 5), under real concurrency:
the key is claimed before the first write, so duplicates replay or get 409 request_in_progress, and
another body under the same key gets 422 — never a second run."""

from collections import Counter

import pytest
from loyalty.services import rewards

from tests.support.concurrency import PATIENCE_SECONDS, at_once

pytestmark = pytest.mark.xdist_group("concurrency")


def _coupon(tenant, reward_id="coffee"):
    body = {"rewardId": reward_id, "name": "Coffee", "pointsCost": 10, "fulfillment": "coupon", "isActive": True}
    assert tenant.admin.post("/rewards", body).status == 201


def _upload(tenant, codes, key, reward_id="coffee"):
    return tenant.admin.post(f"/rewards/{reward_id}/codes", {"codes": codes}, headers={"Idempotency-Key": key})


def test_identical_concurrent_uploads_under_one_key_run_once(local_api, tenant, monkeypatch):
    _coupon(tenant)
    codes = [f"C-{i}" for i in range(300)]  # seven transactions of codes
    add_codes = rewards._add_codes

    def held(*args):  # the run holding the claim writes once the five duplicates have been answered
        local_api.in_flight.wait_finished(5, PATIENCE_SECONDS)
        return add_codes(*args)

    monkeypatch.setattr(rewards, "_add_codes", held)
    replies = at_once(local_api, 6, lambda i: _upload(tenant, codes, "upload-1"))
    outcome = Counter((r.status, r.code, r.headers.get("idempotent-replayed")) for r in replies)
    assert outcome == {(200, None, None): 1, (409, "request_in_progress", None): 5}, outcome
    assert all(r.headers.get("retry-after") == "1" for r in replies if r.status == 409)
    first = next(r for r in replies if r.status == 200)
    again = _upload(tenant, codes, "upload-1")
    assert again.status == 200 and again.headers.get("idempotent-replayed") == "true"
    assert again.text == first.text  # the first answer, byte for byte
    assert again.json["data"]["added"] == 300
    assert tenant.read.get("/rewards/coffee").data["stock"] == {"total": 300, "available": 300, "issued": 0}


def test_other_bodies_under_one_key_never_both_run(local_api, tenant):
    _coupon(tenant)
    batches = [[f"B{n}-{i}" for i in range(100)] for n in range(4)]
    replies = at_once(local_api, 4, lambda n: _upload(tenant, batches[n], "upload-2"))
    outcome = Counter((r.status, r.code) for r in replies)
    assert outcome == {(200, None): 1, (422, "idempotency_key_reused"): 3}, outcome  # held or done, another body
    stock = tenant.read.get("/rewards/coffee").data["stock"]
    assert stock == {"total": 100, "available": 100, "issued": 0}
    winner = next(n for n, r in enumerate(replies) if r.status == 200)
    for n in range(4):
        expected = 200 if n == winner else 422
        assert _upload(tenant, batches[n], "upload-2").status == expected


def test_a_failed_run_releases_its_claim(tenant):
    reply = _upload(tenant, ["A"], "upload-3", reward_id="nope")
    assert reply.status == 404
    _coupon(tenant, "nope")
    assert _upload(tenant, ["A"], "upload-3", reward_id="nope").status == 200  # the key was not kept by a 404
