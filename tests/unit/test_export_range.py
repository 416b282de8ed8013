"""An export's time range (services/exports.time_range): every bound a ULID can hold, or a 400 naming it."""

import pytest
from loyalty.errors import ValidationFailed
from loyalty.services import exports


@pytest.mark.parametrize(
    ("bounds", "field"),
    [
        ({"from_": "1969-01-01T00:00:00Z"}, "from"),
        ({"to": "1969-12-31T23:59:59Z"}, "to"),
        ({"from_": "0001-01-01T00:00:00Z"}, "from"),
        ({"to": "0001-01-01T00:00:00+01:00"}, "to"),  # before year 1 in UTC
        ({"to": "9999-12-31T23:00:00-02:00"}, "to"),  # after year 9999 in UTC
        ({"from_": "9999-01-01T00:00:00Z"}, "from"),
        ({"from_": "2026-02-01", "to": "2026-01-01"}, "to"),
    ],
)
def test_a_bound_no_ulid_holds_is_refused_with_its_name(bounds, field):
    with pytest.raises(ValidationFailed) as refused:
        exports.time_range(bounds.get("from_"), bounds.get("to"))
    assert [detail["field"] for detail in refused.value.details] == [field]


def test_the_range_of_the_years_a_ulid_holds():
    low, high = exports.time_range("1970-01-01T00:00:00Z", "9998-12-31T23:59:59Z")
    assert low < high
    assert exports.time_range(None, None) == ("0", "Z" * 26)
