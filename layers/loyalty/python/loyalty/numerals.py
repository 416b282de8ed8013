"""Text that becomes a whole number: ASCII digits only (str.isdigit() also takes "²", which int() refuses, and
"٣", which int() reads as 3)."""

from __future__ import annotations


def is_digits(text: str) -> bool:
    """Whether `text` is one or more of 0-9 and nothing else."""
    return text.isascii() and text.isdigit()
