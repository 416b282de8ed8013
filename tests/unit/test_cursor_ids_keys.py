"""Cursors bound to tenant and query, time-sortable ids, API keys and the tenant prefix of every key."""

import random
import re
import string

import pytest
from loyalty import apikeys, ids
from loyalty.errors import ValidationFailed
from loyalty.models.common import NEXT_TOKEN_MAX
from loyalty.repository import cursor, idempotency, keys, paging, program, sharded

LAST = {"pk": "T#a#M#1", "sk": "TX#01", "gsi1pk": "T#a#M#1#TX", "gsi1sk": "01"}


def test_cursor_round_trip_and_tampering():
    token = cursor.encode("a", "members", LAST)
    assert cursor.decode("a", "members", token) == LAST
    assert cursor.encode("a", "members", None) is None
    body, mac = token.split(".")
    for bad in (token + "x", "x" + token, f"{body}.{mac[::-1]}", "garbage", "a.b.c", "", "é.é"):
        with pytest.raises(ValidationFailed):
            cursor.decode("a", "members", bad)
    with pytest.raises(ValidationFailed):
        cursor.decode("b", "members", token)  # another tenant
    with pytest.raises(ValidationFailed):
        cursor.decode("a", "transactions", token)  # another query


def test_a_page_request_carries_the_size_the_start_and_the_next_token():
    first = paging.request("a", "members", {"status": "active"})
    assert (first.limit, first.start, first.first) == (paging.DEFAULT_LIMIT, None, True)
    token = first.next_token(LAST)
    assert first.next_token(None) is None
    after = paging.request("a", "members", {"status": "active", "limit": 7, "nextToken": token})
    assert (after.limit, after.start, after.first) == (7, LAST, False)
    assert after.next_token(LAST) == token  # the page size is not part of what a token is bound to
    for tenant_id, name, query in (("b", "members", {"status": "active"}), ("a", "members", {"status": "x"})):
        with pytest.raises(ValidationFailed):  # another tenant, another filter
            paging.request(tenant_id, name, {**query, "nextToken": token})


def test_a_page_request_refuses_a_range_that_ends_before_it_starts():
    bounds = ("createdFrom", "createdTo")
    early, late = "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"
    for query in (
        {"createdFrom": early, "createdTo": late},
        {"createdFrom": late, "createdTo": late},
        {"createdTo": early},
    ):
        assert paging.request("a", "members", query, bounds=bounds).first
    with pytest.raises(ValidationFailed) as refused:
        paging.request("a", "members", {"createdFrom": late, "createdTo": early}, bounds=bounds)
    assert refused.value.details == [{"field": "createdTo", "message": "must not be before createdFrom"}]
    paging.request("a", "members", {"createdFrom": late, "createdTo": early})  # no bounds named: not a range


def test_a_time_range_becomes_the_ulid_key_range_of_its_moments():
    from datetime import UTC, datetime

    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    assert ids.ulid_range(None, None) == ("0", "Z" * 26)
    low, high = ids.ulid_range("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z")
    assert (low, high) == (ids.ulid_floor(start), ids.ulid_ceiling(end))
    assert low <= ids.ulid(start) and ids.ulid(end) <= high < ids.ulid(datetime(2026, 1, 2, 0, 0, 1, tzinfo=UTC))
    assert ids.ulid_range("2026-01-01T00:00:00Z", None) == (low, "Z" * 26)


def test_a_sharded_lists_longest_position_fits_a_next_token():
    """Every shard of a write-sharded list cut mid-read, each at a `<time>#<id>` years apart: the token
    stays within NEXT_TOKEN's 2,048 characters and the cursor pattern, and carries the positions back."""
    rng = random.Random(3)
    positions = [
        f"{2026 + rng.randrange(5)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T{rng.randrange(24):02d}:"
        f"{rng.randrange(60):02d}:{rng.randrange(60):02d}.{rng.randrange(1000):03d}Z#{ids.ulid()}"
        for _ in range(sharded.SHARDS)
    ]
    start = {"at": ",".join(positions)}
    token = cursor.encode("acme", "offer-redemptions", start)
    assert token is not None and len(token) <= NEXT_TOKEN_MAX
    assert cursor.decode("acme", "offer-redemptions", token) == start


def test_ulids_sort_by_time_and_are_unique():
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 1, 1, tzinfo=UTC)
    earlier, later = ids.ulid(start), ids.ulid(start + timedelta(milliseconds=1))
    assert len(earlier) == 26 and earlier < later
    assert len({ids.ulid(start) for _ in range(1000)}) == 1000
    assert ids.ulid_floor(start) <= earlier <= ids.ulid_ceiling(start)


def test_api_keys_have_128_plus_random_bits_and_a_readable_prefix():
    issued = [apikeys.new_key("demo") for _ in range(2000)]
    assert len(set(issued)) == len(issued)
    assert all(key.startswith("lk_demo_") for key in issued)
    randoms = [key.removeprefix("lk_demo_") for key in issued]
    # base64url, 6 bits a character: 22 characters or more carry 128 bits, and all 64 characters occur
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22,}", part) for part in randoms)
    assert set("".join(randoms)) == set(string.ascii_letters + string.digits + "-_")
    assert len({part[:4] for part in randoms}) > 1900  # random from the first character: no fixed or counter head
    key = issued[0]
    assert apikeys.bearer_digest(f"Bearer {key}") == apikeys.digest(key)
    assert apikeys.bearer_digest(f"bearer {key}") == apikeys.digest(key)  # the scheme is case-insensitive
    for header in (None, "", "Bearer", "Bearer ", "Basic abc", f"Bearerx {key}", f"Bearer {key} x"):
        assert apikeys.bearer_digest(header) is None


def test_tenant_data_keys_start_with_the_tenant():
    for built in (
        program.key("acme"),
        keys.tenant_record("acme"),
        keys.api_key("acme", "k"),
        idempotency.key("acme", "h"),
    ):
        assert built["pk"].startswith("T#acme")
