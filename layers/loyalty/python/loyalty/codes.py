"""Generated redemption codes: 14 characters from an alphabet without look-alikes, from a cryptographic source.

The alphabet is Crockford's base 32 without 0 and 1 (no 0/O, 1/I/L, and no U): 30 characters, all
upper case, so a code read aloud or typed from a receipt has one spelling. 14 characters carry
14 * log2(30) ≈ 68.7 bits; docs/data-model.md gives the guessing arithmetic. Uniqueness is not
assumed from the size of the space: the repository puts a guard item per code, and a collision
fails the issuing transaction, which is then retried with a fresh code. Every code, generated or
loaded into a pool, is case-insensitive (`canonical`).
"""

from __future__ import annotations

import math
import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 14
BITS = LENGTH * math.log2(len(ALPHABET))
_ULID = re.compile(r"^[0-9A-Za-z]{26}$")


def generate() -> str:
    """A fresh code: LENGTH independent uniform draws from ALPHABET (secrets, so unpredictable)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def canonical(code: str) -> str:
    """The one spelling of a code (voucher, coupon): codes are case-insensitive across the API, so each is
    stored, guarded and looked up upper-case ("ab3x" and "AB3X" are one code). Codes are ASCII (their
    patterns say so), where upper-casing is one-to-one."""
    return code.upper()


def looks_like_id(text: str) -> bool:
    """Shaped like a server id (a 26-character ULID): such text is looked up as an id, never as a code."""
    return bool(_ULID.match(text))
