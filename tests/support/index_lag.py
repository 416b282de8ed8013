"""Index lag: a mode of the DynamoDB client in which every Query of a secondary index finds nothing.

On AWS a global secondary index is eventually consistent: right after a write, a Query of it may
not see the item yet (usually for under a second). DynamoDB Local and moto answer at once, so a
read path that wrongly relies on an index passes locally. Under `lagging_indexes()` every index
Query answers an empty page, as an index that has not caught up would: what must work right after
a write (a lookup by a unique value, a rule across entities) still has to work.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from loyalty.repository import client as client_module

EMPTY_PAGE: dict[str, Any] = {"Items": [], "Count": 0, "ScannedCount": 0}


@contextlib.contextmanager
def lagging_indexes() -> Iterator[list[str]]:
    """While active, every Query with an IndexName finds nothing; yields the index Queries answered so
    (a test can tell that the mode was reached). Table Queries, reads by key and writes are unchanged."""
    client = client_module.client
    own = vars(client).get("_make_api_call")  # another wrapper (a fault injection) stays under this one
    original = client._make_api_call
    lagged: list[str] = []

    def call(name: str, params: dict[str, Any]) -> Any:
        if name == "Query" and params.get("IndexName"):
            lagged.append(params["IndexName"])
            return dict(EMPTY_PAGE)
        return original(name, params)

    client._make_api_call = call
    try:
        yield lagged
    finally:
        if own is None:
            del client._make_api_call  # the class's own method answers again
        else:
            client._make_api_call = own
