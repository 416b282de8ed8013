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
