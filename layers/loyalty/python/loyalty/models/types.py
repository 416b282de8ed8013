"""The contract's formats as reusable pydantic types, defined once; every shape is built from these.

Each type is `Annotated[base, <pydantic constraints or JSON Schema>, BeforeValidator(check)]`: `check` runs
first, refuses what the contract refuses with the message a client sees (one `details` entry), and returns the
normalised value; pydantic then checks the base type and constraints, which are also the JSON Schema in
docs/openapi.json. No silent coercion: "1" is not 1, 1 is not "1", 1 is not true. Integers: a JSON number
with an integral value (1.0, 1e2) is that integer, as the hand-written validator did before; 1.5 is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from loyalty import clock, currencies
from loyalty.jsontext import has_surrogates

CLIENT_ID = r"^[A-Za-z0-9._:@$-]{1,128}$"
E164 = r"^\+[1-9][0-9]{1,14}$"
# C0 and C1 control characters (NUL, ESC, DEL, ...) are never text; multi-line fields may hold \t \n \r.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_EXCEPT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_MONEY = r"-?[0-9]{1,12}(\.[0-9]{1,4})?"
_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
# Second precision with an optional fraction (dropped), and a UTC designator, an offset or neither (then UTC).
_DATE_TIME = _DATE + r"T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:?[0-9]{2})?"
FIRST_YEAR, LAST_YEAR = 1970, 9998
MAX_PROBLEMS = 20


class Shape(BaseModel):
    """A request or response shape: unknown fields are refused so typos never pass silently.

    Validators are built on demand (`defer_build`): a handler builds its body and query shapes in init
    (`http.endpoint`), and the other shapes of its models module (answers, other operations) are never
    built in that function. A field whose JSON name is a Python keyword has it as alias (`from_` → `from`),
    and only the JSON name is accepted.
    """

    model_config = ConfigDict(extra="forbid", defer_build=True)

    def given(self) -> dict[str, Any]:
        """The fields the client gave, by JSON name and normalised, nested shapes as dicts (absent ones left
        out, a null kept): what a partial update applies, what a create stores, what a fingerprint digests."""
        return self.model_dump(by_alias=True, exclude_unset=True)


S = TypeVar("S", bound=Shape)


def _field(schema: dict[str, Any], **constraints: Any) -> Any:
    """Field metadata: constraints, a description, and any other JSON Schema keywords (format, example)."""
    description = schema.pop("description", None)
    return Field(description=description, json_schema_extra=schema or None, **constraints)


def problem(message: str) -> PydanticCustomError:
    """The error a check raises: its message is what the client reads in `details[].message`."""
    return PydanticCustomError("contract", "{message}", {"message": message})


def checking(check: Callable[[Any], Any]) -> BeforeValidator:
    """A validator that refuses null ("must not be null"), then runs `check` (which returns the value to keep)."""

    def run(value: Any) -> Any:
        if value is None:
            raise problem("must not be null")
        return check(value)

    return BeforeValidator(run)


def _format_mark(character: str) -> bool:
    """A format character (Unicode Cf: zero-width space, direction marks, soft hyphen, BOM...): it shows nothing."""
    import unicodedata

    return unicodedata.category(character) == "Cf"


def _visible(value: str) -> bool:
    """Whether the text shows anything: a character that is neither a space nor a format mark."""
    return any(not (c.isspace() or _format_mark(c)) for c in value)


def text(
    *, min_len: int = 0, max_len: int = 1000, pattern: str | None = None, multiline: bool = False, **schema: Any
) -> Any:
    """A string of `min_len`..`max_len` characters without control characters (but line breaks and tabs
    if `multiline`) or lone surrogates, matching `pattern` in full if given; not blank if `min_len`."""
    control = _CONTROL_EXCEPT_LINES if multiline else _CONTROL
    regex = re.compile(pattern) if pattern else None

    def check(value: Any) -> Any:
        if not isinstance(value, str):
            raise problem("must be a string")
        if not min_len <= len(value) <= max_len:
            raise problem(f"must be {min_len} to {max_len} characters long")
        if min_len and not _visible(value):  # a required text of spaces (or invisible marks) names nothing
            raise problem("must not be blank")
        if control.search(value) or has_surrogates(value):
            raise problem("must not contain control characters or invalid Unicode")
        if regex and not regex.fullmatch(value):
            raise problem(f"must match {pattern}")
        return value

    constraints = StringConstraints(min_length=min_len or None, max_length=max_len, pattern=pattern)
    if min_len and not pattern:
        schema = {"pattern": r"\S", **schema}  # not blank, said in the schema (which searches a pattern)
    return Annotated[str, constraints, _field(schema), checking(check)]


def one_of(*choices: str, **schema: Any) -> Any:
    """One of a fixed set of strings (a JSON Schema enum; with `| None`, null is in the enum too)."""

    def check(value: Any) -> Any:
        if not isinstance(value, str):
            raise problem("must be a string")
        if value not in choices:
            raise problem("must be one of: " + ", ".join(choices))
        return value

    return Annotated[Literal[choices], _field(schema), checking(check)]


def integer(*, minimum: int | None = None, maximum: int | None = None, query: bool = False, **schema: Any) -> Any:
    """A JSON integer (an integral number such as 1.0 counts; true, "1" and 1.5 do not) in bounds.

    `query`: the value arrives as query-string text, which is read as a whole number of ASCII digits.
    """

    def check(value: Any) -> Any:
        if query and isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,12}", value):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise problem("must be an integer")
        if minimum is not None and value < minimum:
            raise problem(f"must be at least {minimum}")
        if maximum is not None and value > maximum:
            raise problem(f"must be at most {maximum}")
        return value

    return Annotated[int, _field(schema, ge=minimum, le=maximum), checking(check)]


def boolean(*, query: bool = False, **schema: Any) -> Any:
    """true or false (never 1, 0 or "true"); `query`: the text "true" or "false" of a query string."""

    def check(value: Any) -> Any:
        if query and value in ("true", "false"):
            return value == "true"
        if not isinstance(value, bool):
            raise problem("must be true or false")
        return value

    return Annotated[bool, _field(schema), checking(check)]


def money(*, minimum: str = "0", maximum: str = "1000000000", integers: bool = False, **schema: Any) -> Any:
    """A decimal amount as an ASCII string such as "13.33" (up to 4 decimals, the minor unit), never a float,
    between `minimum` and `maximum`; never a negative zero ("-0.00"). `integers`: a JSON integer is taken
    as its decimal string too (1 → "1")."""
    low, high = Decimal(minimum), Decimal(maximum)

    def check(value: Any) -> Any:
        if integers and isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            value = str(value)
        if not isinstance(value, str) or not re.fullmatch(_MONEY, value):
            raise problem('must be a decimal string such as "13.33"')
        if not low <= Decimal(value) <= high:
            raise problem(f"must be between {low} and {high}")
        if value.startswith("-") and Decimal(value) == 0:
            raise problem("must not be a negative zero")
        return value

    json_schema = {"type": "string", "pattern": f"^{_MONEY}$", "example": "13.33", **schema}
    return Annotated[str, WithJsonSchema(json_schema), checking(check)]


def factor(*, maximum: int = 1000, **schema: Any) -> Any:
    """A positive decimal factor given as a JSON number (e.g. a points multiplier), kept to 4 decimals."""

    def check(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            raise problem("must be a number")
        if not 0.0001 <= value <= maximum:
            raise problem(f"must be between 0.0001 and {maximum}")
        amount = Decimal(str(value)).quantize(Decimal("0.0001")).normalize()
        return int(amount) if amount == amount.to_integral_value() else float(amount)

    json_schema = {"type": "number", "minimum": 0.0001, "maximum": maximum, **schema}
    return Annotated[int | float, WithJsonSchema(json_schema), checking(check)]


def utc_datetime(**schema: Any) -> Any:
    """ISO-8601 time, normalised to UTC with a Z suffix, second precision, 1970 to 9998.

    A time without an offset (`2019-03-22T09:39:25`, seed 002's own example) is read as UTC, as text
    and as a naive `datetime` given in code alike: never as the server's local time (contract §10).
    """
    message = "must be an ISO-8601 date-time such as 2019-05-05T11:20:49Z (no offset: UTC)"

    def check(value: Any) -> Any:
        if isinstance(value, datetime):
            moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        else:
            if not isinstance(value, str) or not re.fullmatch(_DATE_TIME, value):
                raise problem(message)
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
                moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
            except (ValueError, OverflowError) as exc:
                raise problem(message) from exc
        if not FIRST_YEAR <= moment.year <= LAST_YEAR:  # judged in UTC: an offset can cross a bound
            raise problem(f"must be between the years {FIRST_YEAR} and {LAST_YEAR} (UTC)")
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    json_schema = {"type": "string", "format": "date-time", "pattern": f"^{_DATE_TIME}$", **schema}
    return Annotated[str, WithJsonSchema(json_schema), checking(check)]


def calendar_date(*, past: bool = False, **schema: Any) -> Any:
    """A calendar date, exactly YYYY-MM-DD (no week or ordinal dates), 1900 to 9998; `past`: not after
    today anywhere on Earth (the UTC date + 1 day, since UTC+14 is a day ahead), e.g. a birthdate."""

    def check(value: Any) -> Any:
        try:
            if not isinstance(value, str) or not re.fullmatch(_DATE, value):
                raise ValueError(value)
            parsed = date.fromisoformat(value)
        except ValueError as exc:
            raise problem("must be a date such as 2019-05-05") from exc
        if not 1900 <= parsed.year <= LAST_YEAR:
            raise problem(f"must be between the years 1900 and {LAST_YEAR}")
        if past and parsed > clock.now().date() + timedelta(days=1):
            raise problem("must not be in the future")
        return value

    json_schema = {"type": "string", "format": "date", "pattern": f"^{_DATE}$", **schema}
    return Annotated[str, WithJsonSchema(json_schema), checking(check)]


def bounded_list(item: Any, *, min_items: int = 0, max_items: int = 100, **schema: Any) -> Any:
    """A JSON array of `min_items`..`max_items` values of `item` (each checked, every problem reported)."""

    def check(value: Any) -> Any:
        if not isinstance(value, list):
            raise problem("must be an array")
        if not min_items <= len(value) <= max_items:
            raise problem(f"must hold {min_items} to {max_items} items")
        return value

    bounds = _field(schema, min_length=min_items or None, max_length=max_items)
    return Annotated[list[item], bounds, checking(check)]


def phone(**schema: Any) -> Any:
    """A phone number in E.164, as the contract gives it: "+", a country code (not starting with 0) and the
    number, 15 digits at most, no spaces or separators (+14155550123)."""

    def check(value: Any) -> Any:
        if not isinstance(value, str):
            raise problem("must be a string")
        if not re.fullmatch(E164, value):
            raise problem("must be an E.164 phone number: + and up to 15 digits, such as +14155550123")
        return value

    constraints = StringConstraints(max_length=16, pattern=E164)
    return Annotated[str, constraints, _field({"example": "+14155550123", **schema}), checking(check)]


def client_id(**schema: Any) -> Any:
    """A client-chosen id: 1-128 characters of [A-Za-z0-9._:@$-]."""
    return text(min_len=1, max_len=128, pattern=CLIENT_ID, **schema)


def email(**schema: Any) -> Any:
    """An address, kept composed (NFC): the same address typed with a combining accent is the same address (one
    member, one guard, one lookup), as its case is."""
    address = text(min_len=3, max_len=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", **{"format": "email", **schema})

    def composed(value: str) -> str:
        import unicodedata

        if any(_format_mark(c) for c in value):  # "a\u200b@x.io" would pass for a@x.io
            raise problem("must not contain invisible characters (zero-width, direction or format marks)")
        return unicodedata.normalize("NFC", value)

    return Annotated[address, AfterValidator(composed)]


def currency(**schema: Any) -> Any:
    """An active ISO 4217 code (three capital letters in `loyalty.currencies`' table: XYZ and EURO are not)."""
    letters = text(min_len=3, max_len=3, pattern=r"^[A-Z]{3}$", **schema)

    def check(value: Any) -> Any:
        if not currencies.is_active(value):
            raise problem("must be an active ISO 4217 currency code such as EUR")
        return value

    return Annotated[letters, AfterValidator(check)]


# The types used as they are (the factories above take bounds and descriptions).
Id = client_id()
Text = text()
Email = email()
Currency = currency()
UtcDateTime = utc_datetime()
Date = calendar_date()
Money = money()
Flag = boolean()
Count = integer(minimum=0)
Points = integer(minimum=1, maximum=10**9)
Phone = phone()
Url = text(max_len=2048, pattern=r"^https?://\S+$")


def _where(location: tuple[int | str, ...]) -> str:
    out = ""
    for part in location:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def _message(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known field"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "must not be null" if error["input"] is None else "must be a JSON object"
    return str(error["msg"])


def checked(shape: type[S], document: Any) -> S:
    """`document` checked against `shape`: the model a service receives (its fields normalised).

    Every problem becomes one `details` entry of a 400 validation_error (at most MAX_PROBLEMS):
    `field` is the path (`items[2].sku`, `body` for the document itself), `message` says what is wrong.
    """
    from pydantic import ValidationError

    from loyalty.errors import ValidationFailed

    try:
        model = shape.model_validate(document)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False)
        details = [{"field": _where(error["loc"]), "message": _message(error)} for error in errors]
        raise ValidationFailed(details=details[:MAX_PROBLEMS]) from None
    return model


def fields_of(shape: type[BaseModel], item: Mapping[str, Any], *, without: tuple[str, ...] = ()) -> dict[str, Any]:
    """The fields of a response shape taken from a stored item, in the shape's order (missing ones None)."""
    names = (field.alias or name for name, field in shape.model_fields.items())
    return {name: item.get(name) for name in names if name not in without}
