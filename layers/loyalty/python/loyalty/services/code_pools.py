"""Adding codes to a pool of single-use codes, the same for reward pools and voucher pools."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def add_distinct(
    given: list[str], add: Callable[[list[str]], tuple[int, int]], stock: Callable[[], dict[str, int]]
) -> dict[str, Any]:
    """Add each code once (`add` answers (added, skipped)); a code repeated in the request counts as skipped.

    The answer: how many were added and skipped, and the pool's stock after the upload.
    """
    distinct = list(dict.fromkeys(given))
    added, skipped = add(distinct)
    return {"added": added, "skipped": skipped + len(given) - len(distinct), "stock": stock()}
