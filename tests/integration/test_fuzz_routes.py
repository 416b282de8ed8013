"""Hypothesis fuzzing of every route's body and query over the local API (issue 10).

Bodies and queries are drawn from each operation's own declared shapes, mixed with hostile values:
lone surrogates (in values and field names), control characters, non-ASCII digits, week dates,
offsets across the 1970 floor, huge numbers, NaN, deep nesting, duplicate keys, unknown fields,
broken JSON and bytes that are not UTF-8. Whatever arrives, the API must answer: no 5xx, every 4xx
in the contract's error envelope, and nothing stored by a request that was refused.
"""

from __future__ import annotations

import importlib
import json
import re
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loyalty.models import types
from loyalty.routes import PROTECTED

from tests.support.ledger import activity, member
from tests.support.local import tenant_digest
from tests.support.machines import FUZZ, fuzz_examples
from tools.openapi import ContractSchema

EXAMPLES = fuzz_examples(30)  # per route; `make fuzz` draws more, with random seeds
HOSTILE_TEXT = [
    "\ud800",
    "a\udfffb",
    "\udbff\udc00\ud800",
    "\x00",
    "nul\x00byte",
    "\x1b[31m",
    "\x7f",
    "\x85",
    "\u202eevil",
    "line\n",
    "\uff11\uff12.\uff15\uff10",  # fullwidth digits
    "\u0661\u0662.\u0665\u0660",  # Arabic-Indic digits
    "\u06f1\u06f2",
    "\U0001d7d9\U0001d7da",
    "2019-W01-1",
    "2019-001",
    "1970-01-01T00:30:00+01:00",
    "9999-12-31T23:59:59-23:59",
    "9998-12-31T23:30:00-01:00",
    "2019-05-05T11:20:49",
    "",
    " ",
    "%2F",
    "../../",
    "é",
    "💩",
    "A" * 3000,
    "null",
    "1e400",
    "NaN",
    "-0",
    "0x10",
]
HOSTILE = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.sampled_from([None, True, False, 0, -1, 2**63, 10**40, -(10**40), 1.5, 1e308, [], {}, [[[[]]]]]),
    st.text(max_size=20),
    st.text(st.characters(codec="utf-16", categories=["Cs", "Cc", "Nd", "Zs", "Cf"]), max_size=8),
)
ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:@$-"
ERROR_CODE = re.compile(r"[a-z][a-z0-9_]*")


def json_schema(shape: Any) -> dict[str, Any]:
    """A shape's JSON Schema as the OpenAPI document shows it, its named parts inlined under $defs."""
    return shape.model_json_schema(schema_generator=ContractSchema)


def plausible(field: dict[str, Any], defs: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values of the right kind for a field's JSON Schema (often valid), so fuzzing also reaches the services."""
    if "$ref" in field:
        return plausible(defs[field["$ref"].rsplit("/", 1)[-1]], defs)
    if "anyOf" in field:
        return st.one_of([plausible(option, defs) for option in field["anyOf"]])
    kind = field.get("type")
    if isinstance(kind, list):
        return st.one_of([plausible({**field, "type": one}, defs) for one in kind])
    if kind == "null":
        return st.none()
    if "enum" in field:
        return st.sampled_from([choice for choice in field["enum"] if choice is not None])
    if kind == "object":
        properties = field.get("properties", {})
        return st.fixed_dictionaries({}, optional={name: value_for(child, defs) for name, child in properties.items()})
    if kind == "array":
        return st.lists(value_for(field["items"], defs), max_size=3)
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        low = field.get("minimum", -5)
        return st.integers(low, min(field.get("maximum", 10**6), low + 1000))
    if kind == "number":
        return st.floats(field["minimum"], field["maximum"], allow_nan=False)
    if kind == "string":
        pattern = field.get("pattern")
        if field.get("format") == "date":
            return st.dates().map(lambda d: d.isoformat())
        if field.get("format") == "date-time":
            return st.datetimes(timezones=st.timezones()).map(lambda t: t.isoformat(timespec="seconds"))
        if field.get("format") == "email":
            return st.from_regex(r"[a-z]{1,6}@[a-z]{1,6}\.com", fullmatch=True)
        if pattern == f"^{types._MONEY}$":
            return st.decimals(Decimal("0"), Decimal("500"), places=2).map(str)
        if pattern == types.CLIENT_ID:
            return st.text(ID_ALPHABET, min_size=1, max_size=12)
        if pattern:
            return st.from_regex(pattern, fullmatch=True)
        return st.text(max_size=min(field.get("maxLength", 1000), 30))
    return st.nothing()


def value_for(field: dict[str, Any], defs: dict[str, Any]) -> st.SearchStrategy[Any]:
    return st.one_of(plausible(field, defs), plausible(field, defs), HOSTILE)


def body_text(shape: Any) -> st.SearchStrategy[bytes]:
    """A request body as sent: JSON of the shape (with extra hostile fields), or something worse."""
    schema = json_schema(shape) if shape is not None else None
    document = (plausible(schema, schema.get("$defs", {})) if schema is not None else st.just({})).flatmap(
        lambda doc: (
            st.dictionaries(st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=5)), HOSTILE, max_size=1).map(
                lambda extra, doc=doc: {**doc, **extra}
            )
            | st.just(doc)
        )
    )
    as_json = document.map(lambda doc: json.dumps(doc).encode())
    return st.one_of(
        as_json,
        as_json,
        as_json,
        document.map(_duplicate_a_key),
        st.integers(33, 3000).map(lambda depth: ("[" * depth + "]" * depth).encode()),
        st.integers(33, 2000).map(lambda depth: ('{"a":' * depth + "1" + "}" * depth).encode()),
        st.sampled_from([b"{", b"[1,", b"nul", b'{"a":NaN}', b'{"a":Infinity}', b"\xff\xfe{}", b'"x"', b"1", b"[]"]),
        st.binary(max_size=40),
    )


def _duplicate_a_key(doc: dict[str, Any]) -> bytes:
    if not doc:
        return b'{"a": 1, "a": 2}'
    name, value = next(iter(doc.items()))
    return ("{" + json.dumps(name) + ": " + json.dumps(value) + ", " + json.dumps(doc)[1:]).encode()


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return str(value).lower() if isinstance(value, bool) else json.dumps(value)


def _encode(pairs: list[tuple[str, Any]]) -> str:
    """Percent-encoded; a lone surrogate goes out as the bytes that are not UTF-8 (ED A0 80)."""
    return "&".join(
        quote(name.encode("utf-8", "surrogatepass"), safe="")
        + "="
        + quote(_as_text(value).encode("utf-8", "surrogatepass"), safe="")
        for name, value in pairs
    )


def query_text(shape: Any) -> st.SearchStrategy[str]:
    """A query string: valid filters, one hostile parameter, a forged nextToken, or a hostile mix."""
    fields = json_schema(shape)["properties"] if shape is not None else {}
    printable = st.text(st.characters(exclude_categories=["Cc", "Cs"]), min_size=1, max_size=30)
    body = st.sampled_from(["", "e30", "eyJwayI6IngifQ"]) | st.text(max_size=12)
    token = st.tuples(body, printable).map(".".join) | st.sampled_from(HOSTILE_TEXT)
    valid = st.fixed_dictionaries({}, optional={name: plausible(field, {}) for name, field in fields.items()})
    names = st.sampled_from([*fields, "nextToken", "unknown", "\ud800", "\u00e9"])
    hostile_pair = names.flatmap(
        lambda name: (token if name == "nextToken" else HOSTILE).map(lambda value, name=name: (name, value))
    )
    return st.one_of(
        valid.map(lambda query: _encode(list(query.items()))),
        st.tuples(valid, token).map(lambda q: _encode([*q[0].items(), ("nextToken", q[1])])),
        st.tuples(valid, hostile_pair).map(lambda q: _encode([*q[0].items(), q[1]])),
        st.lists(hostile_pair, max_size=3).map(_encode),
    )


def assert_error_envelope(reply: Any) -> None:
    document = json.loads(reply.text)
    assert set(document) == {"error"}, reply.text
    error = document["error"]
    assert set(error) <= {"code", "message", "details"} and {"code", "message"} <= set(error), reply.text
    assert ERROR_CODE.fullmatch(error["code"]) and isinstance(error["message"], str) and error["message"]
    for detail in error.get("details", []):
        assert set(detail) == {"field", "message"} and all(isinstance(v, str) for v in detail.values()), reply.text


@pytest.fixture(scope="module")
def world(local_api):
    """A tenant with one of everything, so that every path names something that exists."""
    tenant = local_api.new_tenant("fz")
    admin = tenant.admin
    admin.patch("/program", {"tiers": [{"tierId": "gold", "name": "Gold", "threshold": 0}]})
    activity(admin, "sale", type="multiplier", multiplier=2, isSaleActivity=True)
    activity(admin, "photo", points=5, approvalMethod="manual")
    admin.patch("/program", {"saleActivityId": "sale"})
    member_id = member(admin, "fuzz@example.com")
    assert admin.post("/orders", {"orderId": "o-1", "memberId": member_id, "total": "500.00"}).status == 201
    pending = admin.post(f"/members/{member_id}/awards", {"activityId": "photo"}).data["transactionId"]
    admin.post(
        "/rewards",
        {"rewardId": "coffee", "name": "Coffee", "pointsCost": 10, "fulfillment": "coupon", "isActive": True},
    )
    admin.post("/rewards/coffee/codes", {"codes": [f"C-{i}" for i in range(20)]})
    redemption = admin.post(f"/members/{member_id}/redemptions", {"rewardId": "coffee"}).data["redemptionId"]
    ids = {
        "memberId": member_id,
        "transactionId": pending,
        "activityId": "sale",
        "orderId": "o-1",
        "rewardId": "coffee",
        "redemptionId": redemption,
    }
    return tenant, ids


def _path(template: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: ids.get(m.group(1), "unknown-id"), template)


@pytest.mark.parametrize("route", PROTECTED, ids=lambda r: f"{r.method} {r.path}")  # token: test_oauth.py
def test_every_route_answers_hostile_bodies_and_queries_in_the_contract(route, world):
    tenant, ids = world
    spec = importlib.import_module(route.module).handler.api
    path = _path(route.path, ids)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=not FUZZ,
        database=None,
    )
    @given(body=body_text(spec.body) if route.method != "GET" else st.just(b""), query=query_text(spec.query))
    def probe(body: bytes, query: str) -> None:
        before = tenant_digest(tenant.tenant_id)
        target = f"{path}?{query}" if query else path
        reply = tenant.admin.call(route.method, target, raw=body if route.method != "GET" else None)
        assert reply.status < 500, (route.path, body[:200], query[:200], reply.status, reply.text)
        if reply.status >= 400:
            assert_error_envelope(reply)
            assert tenant_digest(tenant.tenant_id) == before, ("a refused request stored something", body[:200])
        elif spec.response is not None:  # what was accepted reads back in the contract's formats
            document = json.loads(reply.text)
            answer = document if spec.bare else document["data"]
            for item in answer if spec.paged else [answer]:
                spec.response.model_validate(item)

    probe()
