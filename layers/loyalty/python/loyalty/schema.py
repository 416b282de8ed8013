"""Declarative request/response shapes: one declaration validates input and emits JSON Schema.

Handlers import this instead of pydantic because a cold start with pydantic costs about 0.4 of the
boto3 floor here (see docs/performance.md); the OpenAPI document is generated from these shapes.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from loyalty.errors import ValidationFailed

MISSING: Any = object()
CLIENT_ID = r"^[A-Za-z0-9._:@$-]{1,128}$"
# C0 and C1 control characters (NUL, ESC, DEL, ...) are never text; multi-line fields may hold \t \n \r.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_EXCEPT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_MONEY = r"-?[0-9]{1,12}(\.[0-9]{1,4})?"
_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
# Second precision with an optional fraction (dropped), and an explicit UTC designator or offset.
_DATE_TIME = _DATE + r"T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:?[0-9]{2})"
FIRST_YEAR, LAST_YEAR = 1970, 9998


def has_surrogates(text: str) -> bool:
    """Whether a string holds a lone UTF-16 surrogate (valid in JSON escapes, never in UTF-8 text)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class Invalid(Exception):
    """Field-level problems collected while validating one document."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__(problems)
        self.problems = problems

    def to_api_error(self) -> ValidationFailed:
        return ValidationFailed(details=self.problems)


def _where(path: str) -> str:
    return path or "body"


class Field:
    """A typed value; subclasses check and normalise it."""

    json_type = "string"

    def __init__(
        self,
        *,
        required: bool = False,
        nullable: bool = False,
        description: str = "",
        example: Any = MISSING,
    ) -> None:
        self.required = required
        self.nullable = nullable
        self.description = description
        self.example = example

    def check(self, value: Any, path: str) -> Any:
        if value is None:
            if self.nullable:
                return None
            raise Invalid([{"field": _where(path), "message": "must not be null"}])
        return self.convert(value, path)

    def convert(self, value: Any, path: str) -> Any:
        return value

    def _fail(self, path: str, message: str) -> Invalid:
        return Invalid([{"field": _where(path), "message": message}])

    def schema(self) -> dict[str, Any]:
        out = {"type": self.json_type, **self.extra_schema()}
        if self.nullable:
            out["type"] = [self.json_type, "null"]
        if self.description:
            out["description"] = self.description
        if self.example is not MISSING:
            out["example"] = self.example
        return out

    def extra_schema(self) -> dict[str, Any]:
        return {}


class Str(Field):
    def __init__(
        self,
        *,
        min_len: int = 0,
        max_len: int = 1000,
        pattern: str | None = None,
        enum: Iterable[str] | None = None,
        multiline: bool = False,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self.min_len, self.max_len = min_len, max_len
        self._control = _CONTROL_EXCEPT_LINES if multiline else _CONTROL
        self.pattern = pattern
        self._regex = re.compile(pattern) if pattern else None
        self.enum = list(enum) if enum else None

    def convert(self, value: Any, path: str) -> Any:
        if not isinstance(value, str):
            raise self._fail(path, "must be a string")
        if self.enum is not None and value not in self.enum:
            raise self._fail(path, "must be one of: " + ", ".join(self.enum))
        if not self.min_len <= len(value) <= self.max_len:
            raise self._fail(path, f"must be {self.min_len} to {self.max_len} characters long")
        if self._control.search(value) or has_surrogates(value):
            raise self._fail(path, "must not contain control characters or invalid Unicode")
        if self._regex and not self._regex.fullmatch(value):
            raise self._fail(path, f"must match {self.pattern}")
        return value

    def extra_schema(self) -> dict[str, Any]:
        if self.enum is not None:
            return {"enum": self.enum}
        out: dict[str, Any] = {"maxLength": self.max_len}
        if self.min_len:
            out["minLength"] = self.min_len
        if self.pattern:
            out["pattern"] = self.pattern
        return out


class Id(Str):
    """A client-chosen id: 1-128 characters of [A-Za-z0-9._:@$-]."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(min_len=1, max_len=128, pattern=CLIENT_ID, **kw)


class Email(Str):
    def __init__(self, **kw: Any) -> None:
        super().__init__(min_len=3, max_len=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", **kw)

    def extra_schema(self) -> dict[str, Any]:
        return {**super().extra_schema(), "format": "email"}


class Int(Field):
    json_type = "integer"

    def __init__(self, *, minimum: int | None = None, maximum: int | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.minimum, self.maximum = minimum, maximum

    def convert(self, value: Any, path: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise self._fail(path, "must be an integer")
        if self.minimum is not None and value < self.minimum:
            raise self._fail(path, f"must be at least {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise self._fail(path, f"must be at most {self.maximum}")
        return value

    def extra_schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        return out


class QueryInt(Int):
    """An integer that arrives as a query-string value."""

    def convert(self, value: Any, path: str) -> Any:
        if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,12}", value):
            value = int(value)
        return super().convert(value, path)


class Bool(Field):
    json_type = "boolean"

    def convert(self, value: Any, path: str) -> Any:
        if not isinstance(value, bool):
            raise self._fail(path, "must be true or false")
        return value


class QueryBool(Bool):
    def convert(self, value: Any, path: str) -> Any:
        if value in ("true", "false"):
            return value == "true"
        return super().convert(value, path)


class Money(Field):
    """A decimal amount as a string, e.g. "13.33"; never a float."""

    def __init__(self, *, minimum: str = "0", maximum: str = "1000000000", **kw: Any) -> None:
        super().__init__(**kw)
        self.minimum, self.maximum = Decimal(minimum), Decimal(maximum)

    def convert(self, value: Any, path: str) -> Any:
        if not isinstance(value, str) or not re.fullmatch(_MONEY, value):
            raise self._fail(path, 'must be a decimal string such as "13.33"')
        try:
            amount = Decimal(value)
        except InvalidOperation as exc:  # pragma: no cover - the pattern already rules this out
            raise self._fail(path, "must be a decimal string") from exc
        if not self.minimum <= amount <= self.maximum:
            raise self._fail(path, f"must be between {self.minimum} and {self.maximum}")
        return value

    def extra_schema(self) -> dict[str, Any]:
        return {"pattern": f"^{_MONEY}$", "example": "13.33"}


class Number(Field):
    """A positive decimal factor given as a JSON number (e.g. a points multiplier), kept to 4 decimals."""

    json_type = "number"

    def __init__(self, *, maximum: int = 1000, **kw: Any) -> None:
        super().__init__(**kw)
        self.maximum = maximum

    def convert(self, value: Any, path: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            raise self._fail(path, "must be a number")
        if not 0.0001 <= value <= self.maximum:
            raise self._fail(path, f"must be between 0.0001 and {self.maximum}")
        amount = Decimal(str(value)).quantize(Decimal("0.0001")).normalize()
        return int(amount) if amount == amount.to_integral_value() else float(amount)

    def extra_schema(self) -> dict[str, Any]:
        return {"minimum": 0.0001, "maximum": self.maximum}


class Currency(Str):
    def __init__(self, **kw: Any) -> None:
        super().__init__(min_len=3, max_len=3, pattern=r"^[A-Z]{3}$", **kw)


class DateTime(Field):
    """ISO-8601 time with Z or an offset (normalised to UTC, Z suffix), second precision, 1970 to 9998."""

    def convert(self, value: Any, path: str) -> Any:
        message = "must be an ISO-8601 date-time with Z or an offset, such as 2019-05-05T11:20:49Z"
        if not isinstance(value, str) or not re.fullmatch(_DATE_TIME, value):
            raise self._fail(path, message)
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
        except (ValueError, OverflowError) as exc:
            raise self._fail(path, message) from exc
        if not FIRST_YEAR <= moment.year <= LAST_YEAR:  # judged in UTC: an offset can cross a bound
            raise self._fail(path, f"must be between the years {FIRST_YEAR} and {LAST_YEAR} (UTC)")
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    def extra_schema(self) -> dict[str, Any]:
        return {"format": "date-time", "pattern": f"^{_DATE_TIME}$"}


class Date(Field):
    """A calendar date, exactly YYYY-MM-DD (no week or ordinal dates), 1900 to 9998."""

    def convert(self, value: Any, path: str) -> Any:
        try:
            if not isinstance(value, str) or not re.fullmatch(_DATE, value):
                raise ValueError(value)
            parsed = date.fromisoformat(value)
        except ValueError as exc:
            raise self._fail(path, "must be a date such as 2019-05-05") from exc
        if not 1900 <= parsed.year <= LAST_YEAR:
            raise self._fail(path, f"must be between the years 1900 and {LAST_YEAR}")
        return value

    def extra_schema(self) -> dict[str, Any]:
        return {"format": "date", "pattern": f"^{_DATE}$"}


class Array(Field):
    json_type = "array"

    def __init__(self, items: Field, *, min_items: int = 0, max_items: int = 100, **kw: Any) -> None:
        super().__init__(**kw)
        self.items, self.min_items, self.max_items = items, min_items, max_items

    def convert(self, value: Any, path: str) -> Any:
        if not isinstance(value, list):
            raise self._fail(path, "must be an array")
        if not self.min_items <= len(value) <= self.max_items:
            raise self._fail(path, f"must hold {self.min_items} to {self.max_items} items")
        problems: list[dict[str, str]] = []
        out = []
        for index, element in enumerate(value):
            try:
                out.append(self.items.check(element, f"{path}[{index}]"))
            except Invalid as exc:
                problems.extend(exc.problems)
        if problems:
            raise Invalid(problems[:20])
        return out

    def extra_schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"items": self.items.schema(), "maxItems": self.max_items}
        if self.min_items:
            out["minItems"] = self.min_items
        return out


class Object(Field):
    """A JSON object with known fields; unknown fields are rejected so typos never pass silently."""

    json_type = "object"

    def __init__(self, name: str | None = None, fields: dict[str, Field] | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.name = name
        self.fields = fields or {}

    def convert(self, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            raise self._fail(path, "must be a JSON object")
        problems: list[dict[str, str]] = []
        out: dict[str, Any] = {}
        for key in value:
            if key not in self.fields:
                problems.append({"field": f"{path}.{key}" if path else key, "message": "is not a known field"})
        for key, field in self.fields.items():
            where = f"{path}.{key}" if path else key
            if key not in value:
                if field.required:
                    problems.append({"field": where, "message": "is required"})
                continue
            try:
                out[key] = field.check(value[key], where)
            except Invalid as exc:
                problems.extend(exc.problems)
        if problems:
            raise Invalid(problems[:20])
        return out

    def validate(self, value: Any) -> dict[str, Any]:
        """Check a whole document, raising a 400 validation_error with every problem found."""
        try:
            return self.check(value, "")
        except Invalid as exc:
            raise exc.to_api_error() from None

    def project(self, item: dict[str, Any], *, without: tuple[str, ...] = ()) -> dict[str, Any]:
        """The fields of this shape taken from a stored item, in the shape's order (missing ones None)."""
        return {name: item.get(name) for name in self.fields if name not in without}

    def with_fields(self, name: str, **changes: Field | None) -> Object:
        """A copy with fields added, replaced, or (given None) removed."""
        fields = {**self.fields, **changes}
        return Object(name, {k: v for k, v in fields.items() if v is not None})

    def all_required(self, name: str, **extra: Field) -> Object:
        """A copy named `name` in which every field is required (an answer shape from an input shape)."""
        fields = {}
        for key, field in {**self.fields, **extra}.items():
            fields[key] = copy.copy(field)
            fields[key].required = True
        return Object(name, fields)

    def schema(self) -> dict[str, Any]:
        if self.name:
            out: dict[str, Any] = {"$ref": f"#/components/schemas/{self.name}"}
            return {"anyOf": [out, {"type": "null"}]} if self.nullable else out
        return self.inline_schema()

    def inline_schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": ["object", "null"] if self.nullable else "object",
            "properties": {key: field.schema() for key, field in self.fields.items()},
            "additionalProperties": False,
        }
        required = [key for key, field in self.fields.items() if field.required]
        if required:
            out["required"] = required
        if self.description:
            out["description"] = self.description
        return out

    def named_objects(self) -> dict[str, Object]:
        """Every named object reachable from this one (for components/schemas)."""
        found: dict[str, Object] = {}
        _collect(self, found)
        return found


def _collect(field: Field, found: dict[str, Object]) -> None:
    if isinstance(field, Object):
        if field.name and field.name not in found:
            found[field.name] = field
        for child in field.fields.values():
            _collect(child, found)
    elif isinstance(field, Array):
        _collect(field.items, found)
