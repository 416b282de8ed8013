"""The row of a member import file (contract §14): a member's profile and one of its point lots.

A row is checked with the member model's own rules (email, phone, ids, names, birthdate, tags), and the file's
text is read strictly: a CSV cell is a string, so `points` and `qualifiedPoints` are taken from ASCII digits only
(`١٢٣` is refused, as is `-5` or `1e3`), `tags` from a `;`-separated cell, and a date-time without an offset is
UTC. JSON Lines give numbers and lists as JSON.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import TypeAdapter, ValidationError

from loyalty.models.members import Birthdate, CardId, ExternalId, Name, UniqueEmail, UniquePhone
from loyalty.models.segments import Tags
from loyalty.models.types import Shape, _message, _where, calendar_date, client_id, integer, utc_datetime

# The columns of a member import file, in the contract's order (§14); the first four identify a member, and the
# first of them a row gives is its key (with lotId).
COLUMNS = (
    "externalId",
    "email",
    "phone",
    "cardId",
    "firstName",
    "lastName",
    "birthdate",
    "tags",
    "tierOverride",
    "lotId",
    "points",
    "earnedAt",
    "expiresAt",
    "qualifiedPoints",
)
KEY_ORDER = ("externalId", "email", "phone", "cardId")
MAX_POINTS = 10**9
_DIGITS = re.compile(r"[0-9]{1,12}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MOMENT: TypeAdapter[str] = TypeAdapter(utc_datetime())


class MemberImportRow(Shape):
    """One row: at least one identifier; `lotId` and `points` together (a lot) or neither (a profile only)."""

    externalId: ExternalId | None = None
    email: UniqueEmail | None = None
    phone: UniquePhone | None = None
    cardId: CardId | None = None
    firstName: Name | None = None
    lastName: Name | None = None
    birthdate: Birthdate | None = None
    tags: Tags = None
    tierOverride: client_id(description="A tierId of the program") | None = None
    lotId: client_id(description="The lot's id, unique per member") | None = None
    points: integer(minimum=1, maximum=MAX_POINTS) | None = None
    earnedAt: utc_datetime() | None = None
    expiresAt: calendar_date(description="The lot's last day (a date-time: its UTC day)") | None = None
    qualifiedPoints: integer(minimum=0, maximum=MAX_POINTS) | None = None


class RowRejected(Exception):
    """A row that breaks a rule: the field at fault (None: the row as a whole) and why."""

    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


def _whole_number(field: str, value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
        raise RowRejected(field, "must not be negative")
    if not isinstance(value, str):
        return value  # a JSON number: the model's integer rule judges it
    text = value.strip()
    if text.startswith("-") and _DIGITS.fullmatch(text[1:]):
        raise RowRejected(field, "must not be negative")
    if not _DIGITS.fullmatch(text):
        raise RowRejected(field, "must be a whole number written with the digits 0-9")
    return int(text)


def _text_forms(raw: dict[str, Any]) -> dict[str, Any]:
    """The file's text as the model's types: numbers from digits, tags from a `;` list, a lot's day from a time."""
    out = dict(raw)
    for name in ("points", "qualifiedPoints"):
        if name in out and out[name] is not None:
            out[name] = _whole_number(name, out[name])
    if isinstance(out.get("tags"), str):
        out["tags"] = [tag for tag in (part.strip() for part in out["tags"].split(";")) if tag]
    expires = out.get("expiresAt")
    if isinstance(expires, str) and len(expires) > 10 and _DAY.match(expires):
        try:  # a date-time: its day in UTC (an export writes a lot's expiresAt as its last second)
            out["expiresAt"] = _MOMENT.validate_python(expires)[:10]
        except ValidationError:
            pass  # left as it is: the model refuses it with its own message
    earned = out.get("earnedAt")
    if isinstance(earned, str) and _DAY.fullmatch(earned):
        out["earnedAt"] = f"{earned}T00:00:00Z"
    return out


def parse_row(raw: dict[str, Any]) -> MemberImportRow:
    """The row checked and normalised (an empty or blank cell is no value); raises RowRejected (the first problem
    found) when it breaks a rule."""
    given = {name: value for name, value in raw.items() if not (isinstance(value, str) and not value.strip())}
    try:
        row = MemberImportRow.model_validate(_text_forms(given))
    except ValidationError as exc:
        error = exc.errors(include_url=False, include_context=False)[0]
        where = _where(error["loc"])
        raise RowRejected(None if where == "body" else where.split("[")[0], _message(error)) from None
    if not any(getattr(row, name) for name in KEY_ORDER):
        raise RowRejected("email", "give at least one of externalId, email, phone or cardId")
    if (row.lotId is None) != (row.points is None):
        raise RowRejected("points" if row.points is None else "lotId", "lotId and points go together")
    if row.expiresAt is not None and row.earnedAt is not None and row.expiresAt < row.earnedAt[:10]:
        raise RowRejected("expiresAt", "is before earnedAt: a lot cannot expire before its points were earned")
    return row
