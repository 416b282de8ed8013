"""The access-token codec (services/oauth_tokens.py): what it signs reads back, anything else is refused."""

from __future__ import annotations

import base64
import secrets

import pytest
from hypothesis import given
from hypothesis import strategies as st
from loyalty.services import oauth_tokens as tokens

KEY = b"k" * 32
CLAIMS = tokens.Claims("acme", "oc_01JDEMOC11ENT0000000000000", frozenset({"read"}), 1_000, 4_600, 1)


def keys(key_id: int) -> bytes | None:
    return KEY if key_id == 1 else None


def test_a_signed_token_verifies_to_its_claims_until_it_expires():
    token = tokens.sign(CLAIMS, KEY)
    assert token.startswith("oat1") and "." not in token and "=" not in token
    assert tokens.verify(token, keys, 1_000) == CLAIMS
    assert tokens.verify(token, keys, 4_599) == CLAIMS
    assert tokens.verify(token, keys, 4_600) is None  # expired
    assert tokens.verify(token, keys, 900) is None  # issued in the future (beyond a minute of skew)


def test_another_key_an_unknown_key_id_and_any_changed_character_are_refused():
    token = tokens.sign(CLAIMS, KEY)
    assert tokens.verify(tokens.sign(CLAIMS, secrets.token_bytes(32)), keys, 2_000) is None
    assert tokens.verify(tokens.sign(tokens.Claims(**{**CLAIMS.__dict__, "key_id": 2}), KEY), keys, 2_000) is None
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for at in range(len(token)):
        other = alphabet[(alphabet.index(token[at]) + 1) % len(alphabet)]
        assert tokens.verify(token[:at] + other + token[at + 1 :], keys, 2_000) is None, at


def test_the_longest_token_fits_the_gateways_512_characters():
    longest = tokens.Claims(
        "a" * 40, "c" * 64, frozenset({"admin", "integration", "read"}), 2**32 - 1, 2**32 - 1, 65535
    )
    token = tokens.sign(longest, KEY)
    assert len(token) <= tokens.MAX_LENGTH == 512
    assert tokens.read(token)[0] == longest
    with pytest.raises(ValueError):
        tokens.sign(tokens.Claims("a" * 41, "c", frozenset({"read"}), 1, 2, 1), KEY)
    with pytest.raises(ValueError):
        tokens.sign(tokens.Claims("a", "c" * 65, frozenset({"read"}), 1, 2, 1), KEY)
    with pytest.raises(ValueError):
        tokens.sign(tokens.Claims("a", "c", frozenset(), 1, 2, 1), KEY)


def test_an_api_key_is_never_read_as_a_token():
    assert not tokens.is_token("lk_demo_exampleexampleexampleexample00")
    assert tokens.read("lk_demo_exampleexampleexampleexample00") is None


@given(st.binary(max_size=200))
def test_any_bytes_after_the_prefix_are_refused_without_an_error(raw):
    token = base64.urlsafe_b64encode(tokens.PREFIX + raw).decode().rstrip("=")
    assert tokens.verify(token, keys, 2_000) is None


@given(st.text(max_size=600))
def test_any_text_is_refused_without_an_error(text):
    assert tokens.verify("oat1" + text, keys, 2_000) is None
