"""Shapes shared by many operations: list queries, time ranges, status answers."""

from pydantic import Field

from loyalty.models.types import Shape, integer, text, utc_datetime

NEXT_TOKEN_MAX = 2048
Limit = integer(minimum=1, maximum=100, query=True, description="Page size (1-100, default 25)")
NextToken = text(min_len=1, max_len=NEXT_TOKEN_MAX, description="The nextToken of the previous page")
From = utc_datetime(description="Only items created at or after this time")
To = utc_datetime(description="Only items created at or before this time")


class Paging(Shape):
    """The query of every list: a page size and the token of the previous page."""

    limit: Limit = None
    nextToken: NextToken = None


class TimeRange(Paging):
    """A list query of items created in a range of times (either end optional)."""

    from_: From = Field(None, alias="from")
    to: To = None


class Status(Shape):
    message: text(example="ok")
    version: text(example="0.1.0")
