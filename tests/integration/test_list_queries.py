"""Every list route checks its query before it looks anything up: a forged nextToken and a time range that
ends before it starts are a 400 in the envelope, with and without filters that match nothing, whether or not
the path's parent exists (issue 21 B1: an unknown offerCode answered an empty 200 page)."""

from __future__ import annotations

import importlib
import re
from typing import Any
from urllib.parse import urlencode

import pytest
from loyalty.routes import ROUTES

from tests.integration.test_fuzz_routes import assert_error_envelope, json_schema

LISTS = [r for r in ROUTES if r.method == "GET" and importlib.import_module(r.module).handler.api.paged]
PAGING = ("limit", "nextToken")
FORGED_TOKEN = "eyJwayI6IngifQ.AAAAAAAAAAAAAAAAAAAAAAAA"


def _fields(route: Any) -> dict[str, dict[str, Any]]:
    shape = importlib.import_module(route.module).handler.api.query
    return {name: field for name, field in json_schema(shape)["properties"].items() if name not in PAGING}


def _is_time(field: dict[str, Any]) -> bool:
    options = field.get("anyOf", [field])
    return any(option.get("format") == "date-time" for option in options)


def time_range(route: Any) -> tuple[str, str] | None:
    """The query's two time bounds (from / to, startDate / endDate, createdFrom / createdTo), in that order."""
    bounds = [name for name, field in _fields(route).items() if _is_time(field)]
    assert len(bounds) in (0, 2), (route.path, bounds)
    return (bounds[0], bounds[1]) if bounds else None


def _nothing_matches(field: dict[str, Any]) -> str:
    """A valid filter value that no stored item has."""
    option = next(o for o in field.get("anyOf", [field]) if o.get("type") != "null")
    if "enum" in option:
        return str(next(choice for choice in option["enum"] if choice is not None))
    if option.get("type") == "boolean":
        return "true"
    if option.get("format") == "email":
        return "nobody@example.com"
    if option.get("pattern") and not re.fullmatch(option["pattern"], "NOTHING-MATCHES"):
        return str(option["example"])  # a phone: the example, which no fresh tenant holds
    return "NOTHING-MATCHES"


# Parameters that take no other filter (GET /members?q=, a search: 400 with a filter; its own tests in
# tests/integration/test_member_identifiers.py).
ALONE = {"q"}


def filters(route: Any) -> dict[str, str]:
    return {name: _nothing_matches(f) for name, f in _fields(route).items() if not _is_time(f) and name not in ALONE}


def concrete(path: str) -> str:
    """The path with every parameter an id that exists nowhere."""
    return re.sub(r"\{[^}]+\}", "UNKNOWN-PARENT", path)


CASES = [
    pytest.param(route, filtered, id=f"{route.function}-{'filtered' if filtered else 'plain'}")
    for route in LISTS
    for filtered in (False, True)
    if not filtered or filters(route)
]


def test_the_routes_cover_every_list_and_time_range():
    """The parametrization sees the lists it should (a list route without `paged` would escape it)."""
    names = {route.function for route in LISTS}
    assert {"list_offer_redemptions", "list_members", "list_offer_vouchers", "list_member_offers"} <= names
    ranged = {route.function for route in LISTS if time_range(route)}
    assert {"list_offer_redemptions", "list_member_offer_redemptions", "list_members", "list_transactions"} <= ranged


@pytest.mark.parametrize(("route", "filtered"), CASES)
def test_a_forged_next_token_is_a_400_whatever_the_filters_match(tenant, route, filtered):
    query = {**(filters(route) if filtered else {}), "nextToken": FORGED_TOKEN}
    reader = tenant.read if "read" in route.scopes else tenant.admin  # the webhooks' list is admin only
    reply = reader.get(f"{concrete(route.path)}?{urlencode(query)}")
    assert (reply.status, reply.code) == (400, "validation_error"), reply.text
    assert_error_envelope(reply)
    assert [d["field"] for d in reply.json["error"]["details"]] == ["nextToken"]


@pytest.mark.parametrize(("route", "filtered"), [c for c in CASES if time_range(c.values[0])])
def test_a_time_range_ending_before_it_starts_is_a_400_whatever_the_filters_match(tenant, route, filtered):
    low, high = time_range(route)
    query = {**(filters(route) if filtered else {}), low: "2026-02-01T00:00:00Z", high: "2026-01-01T00:00:00Z"}
    reply = tenant.read.get(f"{concrete(route.path)}?{urlencode(query)}")
    assert (reply.status, reply.code) == (400, "validation_error"), reply.text
    assert_error_envelope(reply)
    assert [d["field"] for d in reply.json["error"]["details"]] == [high]
