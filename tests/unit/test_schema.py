"""The contract's types as pydantic shapes: validation problems, normalisation, and the JSON Schema they emit."""

import time
from datetime import datetime, timedelta, timezone

import pytest
from loyalty.errors import ValidationFailed
from loyalty.models.common import TimeRange
from loyalty.models.types import (
    MAX_PROBLEMS,
    Date,
    Email,
    Flag,
    Id,
    Money,
    Phone,
    Shape,
    UtcDateTime,
    bounded_list,
    checked,
    factor,
    integer,
    one_of,
    text,
)

from tools.openapi import ContractSchema


class Nested(Shape):
    a: integer()


class Sample(Shape):
    id: Id
    count: integer(minimum=1, maximum=10) = None
    flag: Flag = None
    when: UtcDateTime = None
    day: Date = None
    price: Money = None
    tags: bounded_list(text(max_len=5), max_items=2) = None
    nested: Nested = None
    kind: one_of("a", "b") | None = None
    ratio: factor() = None


class Contact(Shape):
    phone: Phone | None = None


class Notes(Shape):
    body: text(multiline=True) = None


class Named(Shape):
    name: text(min_len=1, max_len=20) = None
    note: text(max_len=20) = None
    email: Email = None


def given(shape, document):
    """What a document gives, by JSON name (a model's `given()`): the fields a partial update applies."""
    return checked(shape, document).given()


def problems(document, shape=Sample):
    with pytest.raises(ValidationFailed) as caught:
        checked(shape, document)
    return {d["field"]: d["message"] for d in caught.value.details}


def test_valid_document_is_normalised():
    out = given(
        Sample,
        {
            "id": "a.b:c@d$-1",
            "count": 3,
            "when": "2019-05-05T13:20:49+02:00",
            "day": "2019-05-05",
            "price": "13.30",
            "ratio": 1.23456,
        },
    )
    assert out == {
        "id": "a.b:c@d$-1",
        "count": 3,
        "when": "2019-05-05T11:20:49Z",
        "day": "2019-05-05",
        "price": "13.30",
        "ratio": 1.2346,
    }


def test_a_service_receives_the_typed_model_with_absent_fields_none():
    body = checked(Sample, {"id": "x", "count": 2.0, "nested": {"a": 1}})
    assert isinstance(body, Sample) and isinstance(body.nested, Nested)
    assert (body.id, body.count, body.nested.a, body.kind, body.flag) == ("x", 2, 1, None, None)
    assert checked(TimeRange, {"from": "2019-05-05T11:20:49Z"}).from_ == "2019-05-05T11:20:49Z"


def test_only_given_fields_are_handed_on_and_null_stays_null_where_allowed():
    assert given(Sample, {"id": "x", "kind": None}) == {"id": "x", "kind": None}
    assert given(Sample, {"id": "x", "ratio": 2.0}) == {"id": "x", "ratio": 2}


def test_every_problem_is_reported_with_its_field():
    found = problems(
        {
            "count": True,
            "flag": 1,
            "when": "yesterday",
            "day": "2019-13-01",
            "price": 1.5,
            "tags": ["toolong", 3],
            "nested": {},
            "extra": 1,
            "kind": "c",
        }
    )
    assert found == {
        "id": "is required",
        "count": "must be an integer",
        "flag": "must be true or false",
        "when": "must be an ISO-8601 date-time such as 2019-05-05T11:20:49Z (no offset: UTC)",
        "day": "must be a date such as 2019-05-05",
        "price": 'must be a decimal string such as "13.33"',
        "tags[0]": "must be 0 to 5 characters long",
        "tags[1]": "must be a string",
        "nested.a": "is required",
        "extra": "is not a known field",
        "kind": "must be one of: a, b",
    }


def test_a_required_text_is_not_blank_and_an_address_is_kept_composed():
    for blank in (" ", "   ", "\u3000", "\u00a0\u2003", "\u200b", "\u202e", "\ufeff \u00ad\u2060"):  # nor marks
        with pytest.raises(ValidationFailed) as caught:
            checked(Named, {"name": blank})
        assert caught.value.details == [{"field": "name", "message": "must not be blank"}]
    assert given(Named, {"name": " Ada ", "note": "  "}) == {"name": " Ada ", "note": "  "}  # optional text: as given
    assert given(Named, {"email": "jose\u0301@example.com"}) == {"email": "jos\u00e9@example.com"}
    assert given(Named, {"name": "\U0001f469\u200d\U0001f52c"}) == {"name": "\U0001f469\u200d\U0001f52c"}  # ZWJ
    for hidden in ("a\u200b@example.com", "\u202ea@example.com", "a@example.com\ufeff", "a\u00ad@example.com"):
        with pytest.raises(ValidationFailed) as caught:
            checked(Named, {"email": hidden})
        assert caught.value.details[0]["message"].startswith("must not contain invisible characters"), hidden


def test_the_problems_are_capped():
    with pytest.raises(ValidationFailed) as caught:
        checked(Sample, {"id": "x", **{f"x{i}": 1 for i in range(MAX_PROBLEMS + 5)}})
    assert len(caught.value.details) == MAX_PROBLEMS


def test_bounds_and_types():
    assert problems({"id": "x", "count": 11}) == {"count": "must be at most 10"}
    assert "count" in problems({"id": "x", "count": 2.5})
    assert "count" in problems({"id": "x", "count": "1"})  # never coerced
    assert given(Sample, {"id": "x", "count": 1.0}) == {"id": "x", "count": 1}  # an integral number is that integer
    assert problems({"id": "x", "flag": "true"}) == {"flag": "must be true or false"}
    assert problems({"id": "x", "nested": None}) == {"nested": "must not be null"}
    assert problems({"id": "x", "nested": []}) == {"nested": "must be a JSON object"}
    assert problems({"id": "x", "price": None}) == {"price": "must not be null"}
    assert problems({"id": "x", "ratio": True}) == {"ratio": "must be a number"}
    assert "id" in problems({"id": "has space"})
    assert "id" in problems({"id": "x" * 129})
    assert problems({"id": "x", "tags": ["a", "b", "c"]}) == {"tags": "must hold 0 to 2 items"}
    assert problems({"id": "x", "tags": "a"}) == {"tags": "must be an array"}
    with pytest.raises(ValidationFailed) as caught:
        checked(Sample, [1])
    assert caught.value.details == [{"field": "body", "message": "must be a JSON object"}]


def test_json_schema_forbids_unknown_fields_lists_required_ones_and_lets_null_through_a_nullable_enum():
    schema = Sample.model_json_schema(schema_generator=ContractSchema)
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["id"]
    assert schema["properties"]["count"] == {"type": "integer", "minimum": 1, "maximum": 10}
    assert schema["properties"]["kind"] == {"anyOf": [{"type": "string", "enum": ["a", "b"]}, {"type": "null"}]}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("price", "\uff11\uff12.\uff15\uff10"),  # fullwidth digits
        ("price", "\u0661\u0662.\u0665\u0660"),  # Arabic-Indic digits
        ("price", "12.50\n"),
        ("count", "\uff13"),
        ("day", "2019-W01-1"),  # a week date Python's fromisoformat accepts
        ("day", "2019-001"),
        ("day", "\uff12\uff10\uff11\uff19-05-05"),
        ("when", "1970-01-01T00:30:00+01:00"),  # 1969 once normalised to UTC
        ("when", "9998-12-31T23:30:00-01:00"),  # 9999 in UTC
        ("when", "9999-12-31T23:59:59-23:59"),  # beyond datetime's range once normalised
        ("when", "2019-05-05 11:20:49Z"),
        ("when", "2019-05-05T11:20:49z"),
        ("when", "2019-W01-1T11:20:49Z"),
        ("id", "abc\n"),  # `$` would match before a trailing newline
        ("id", "\u0661"),
        ("tags", ["a\x00"]),
        ("tags", ["\x1b"]),
        ("tags", ["\x85"]),
        ("tags", ["\ud800"]),
        ("tags", ["a\tb"]),
    ],
)
def test_only_the_contract_formats_are_accepted(field, value):
    document = {"id": "x", field: value}
    assert field in problems(document) or f"{field}[0]" in problems(document)


@pytest.fixture
def local_time_far_from_utc(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_naive_datetime_given_in_code_is_utc_whatever_the_local_zone(local_time_far_from_utc):
    naive = datetime(2019, 5, 5, 11, 20, 49, 999)
    aware = datetime(2019, 5, 5, 13, 20, 49, tzinfo=timezone(timedelta(hours=2)))
    assert given(Sample, {"id": "x", "when": naive})["when"] == "2019-05-05T11:20:49Z"
    assert given(Sample, {"id": "x", "when": aware})["when"] == "2019-05-05T11:20:49Z"


@pytest.mark.parametrize("text", ["2019-03-22T09:39:25", "2019-03-22T09:39:25.999", "2019-03-22T09:39:25Z"])
def test_a_time_without_an_offset_is_utc_whatever_the_local_zone(local_time_far_from_utc, text):
    """Seed 002's own example time has no offset: it is read as UTC (contract §10), never as local time."""
    assert given(Sample, {"id": "x", "when": text})["when"] == "2019-03-22T09:39:25Z"


@pytest.mark.parametrize(
    "text", ["1969-12-31T23:59:59", "2019-03-22T09:39", "2019-03-22T24:00:00", "2019-03-22T09:39:25+"]
)
def test_a_time_without_an_offset_keeps_the_other_rules(text):
    assert "when" in problems({"id": "x", "when": text})


def test_times_are_normalised_to_utc_seconds_and_multiline_text_keeps_line_breaks():
    assert given(Sample, {"id": "x", "when": "1970-01-01T01:30:00.999+01:00"})["when"] == "1970-01-01T00:30:00Z"
    assert given(Sample, {"id": "x", "when": "2019-05-05T11:20:49+0200"})["when"] == "2019-05-05T09:20:49Z"
    assert given(Notes, {"body": "one\r\ntwo\tthree"}) == {"body": "one\r\ntwo\tthree"}
    with pytest.raises(ValidationFailed):
        checked(Notes, {"body": "bell\x07"})


def test_a_field_named_after_a_python_keyword_is_taken_only_by_its_json_name():
    assert given(TimeRange, {"from": "2019-05-05T13:20:49+02:00"}) == {"from": "2019-05-05T11:20:49Z"}
    assert problems({"from_": "2019-05-05T11:20:49Z"}, TimeRange) == {"from_": "is not a known field"}


def test_phones_are_e164_only():
    """+, a country code that does not start with 0, 15 digits at most; no spaces, dashes or brackets."""
    for number in ("+14155550123", "+442071234567", "+12", "+123456789012345"):
        assert checked(Contact, {"phone": number}).phone == number
    assert checked(Contact, {"phone": None}).phone is None
    message = "must be an E.164 phone number: + and up to 15 digits, such as +14155550123"
    for number in (
        "+44 20 7123 4567",
        "+1-415-555-0123",
        "(415) 555-0123",
        "14155550123",
        "+0123",
        "+1",
        "+1234567890123456",
        "+1415555012\n",
        "\uff0b14155550123",  # a fullwidth plus
        "+١٤١٥",
    ):
        assert problems({"phone": number}, Contact) == {"phone": message}, number
    assert problems({"phone": 14155550123}, Contact) == {"phone": "must be a string"}
