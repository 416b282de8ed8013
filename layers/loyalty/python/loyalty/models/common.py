"""Shapes shared by many operations: list queries, money, tier references, status answers."""

from __future__ import annotations

from loyalty.schema import DateTime, Object, QueryInt, Str

LIMIT = QueryInt(minimum=1, maximum=100, description="Page size (1-100, default 25)")
NEXT_TOKEN = Str(min_len=1, max_len=2048, description="The nextToken of the previous page")
PAGING = {"limit": LIMIT, "nextToken": NEXT_TOKEN}
TIME_RANGE = {
    "from": DateTime(description="Only items created at or after this time"),
    "to": DateTime(description="Only items created at or before this time"),
}

STATUS = Object(
    "Status",
    {"message": Str(required=True, example="ok"), "version": Str(required=True, example="0.1.0")},
)
