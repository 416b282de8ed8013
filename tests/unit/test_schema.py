"""The declarative shapes: validation problems, normalisation, and the JSON Schema they emit."""

import pytest
from loyalty.errors import ValidationFailed
from loyalty.schema import Array, Bool, Date, DateTime, Id, Int, Money, Object, Str

SHAPE = Object(
    "Sample",
    {
        "id": Id(required=True),
        "count": Int(minimum=1, maximum=10),
        "flag": Bool(),
        "when": DateTime(),
        "day": Date(),
        "price": Money(),
        "tags": Array(Str(max_len=5), max_items=2),
        "nested": Object(None, {"a": Int(required=True)}),
    },
)


def problems(document):
    with pytest.raises(ValidationFailed) as caught:
        SHAPE.validate(document)
    return {d["field"]: d["message"] for d in caught.value.details}


def test_valid_document_is_normalised():
    out = SHAPE.validate(
        {
            "id": "a.b:c@d$-1",
            "count": 3,
            "when": "2019-05-05T13:20:49+02:00",
            "day": "2019-05-05",
            "price": "13.30",
        }
    )
    assert out["when"] == "2019-05-05T11:20:49Z"
    assert out == {**out, "id": "a.b:c@d$-1", "count": 3, "price": "13.30"}


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
        }
    )
    assert set(found) == {
        "id",
        "count",
        "flag",
        "when",
        "day",
        "price",
        "tags[0]",
        "tags[1]",
        "nested.a",
        "extra",
    }


def test_bounds_and_types():
    assert "count" in problems({"id": "x", "count": 11})
    assert "count" in problems({"id": "x", "count": 2.5})
    assert "id" in problems({"id": "has space"})
    assert "id" in problems({"id": "x" * 129})
    assert "tags" in problems({"id": "x", "tags": ["a", "b", "c"]})
    with pytest.raises(ValidationFailed) as caught:
        SHAPE.validate([1])
    assert caught.value.details == [{"field": "body", "message": "must be a JSON object"}]


def test_json_schema_forbids_unknown_fields_and_lists_required_ones():
    schema = SHAPE.inline_schema()
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["id"]
    assert schema["properties"]["count"] == {"type": "integer", "minimum": 1, "maximum": 10}


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
        ("when", "2019-05-05T11:20:49"),  # no offset
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


def test_times_are_normalised_to_utc_seconds_and_multiline_text_keeps_line_breaks():
    assert SHAPE.validate({"id": "x", "when": "1970-01-01T01:30:00.999+01:00"})["when"] == "1970-01-01T00:30:00Z"
    assert SHAPE.validate({"id": "x", "when": "2019-05-05T11:20:49+0200"})["when"] == "2019-05-05T09:20:49Z"
    notes = Object(None, {"text": Str(multiline=True)})
    assert notes.validate({"text": "one\r\ntwo\tthree"}) == {"text": "one\r\ntwo\tthree"}
    with pytest.raises(ValidationFailed):
        notes.validate({"text": "bell\x07"})
