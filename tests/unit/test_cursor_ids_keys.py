"""Cursors bound to tenant and query, time-sortable ids, API keys and the tenant prefix of every key."""

import random
import re
import string

import pytest
from loyalty import apikeys, ids
from loyalty.errors import ValidationFailed
from loyalty.models.common import NEXT_TOKEN_MAX
from loyalty.repository import cursor, idempotency, keys, program, sharded

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
    for header in (None, "", "Bearer", "Bearer ", "Basic abc", f"bearer {key}", f"Bearer {key} x"):
        assert apikeys.bearer_digest(header) is None


def test_tenant_data_keys_start_with_the_tenant():
    for built in (
        program.key("acme"),
        keys.tenant_record("acme"),
        keys.api_key("acme", "k"),
        idempotency.key("acme", "h"),
    ):
        assert built["pk"].startswith("T#acme")
