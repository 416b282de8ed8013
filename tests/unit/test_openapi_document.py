"""docs/openapi.json as a generated client and a linter see it: Spectral's OpenAPI rules clean, every nullable enum
takes null, every example fits its schema (and its pydantic shape), every operation described and tagged."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from loyalty.models.types import Shape
from loyalty.routes import ROUTES

from tools.openapi import DOCUMENT_PATH, build_document, spec_of
from tools.openapi_examples import REQUEST_EXAMPLES
from tools.openapi_text import OPERATIONS

ROOT = Path(__file__).resolve().parents[2]
SPECTRAL = ROOT / "node_modules" / ".bin" / "spectral"


def spectral(document: Path) -> list[dict[str, Any]]:
    """Spectral's findings on a document with the repository's ruleset (.spectral.yaml: spectral:oas)."""
    assert SPECTRAL.exists(), "Spectral is missing: `make test` installs it (npm ci, package-lock.json)"
    assert shutil.which("node"), "Spectral needs Node.js"
    done = subprocess.run(
        [str(SPECTRAL), "lint", str(document), "--ruleset", str(ROOT / ".spectral.yaml"), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    start = done.stdout.index("[")  # the JSON report, then a closing line in words
    findings, _ = json.JSONDecoder().raw_decode(done.stdout[start:])
    return findings


def schemas(node: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object of the document under a key that holds a schema (properties, items, anyOf, ...), or with a type."""
    if isinstance(node, dict):
        if "type" in node or "enum" in node:
            yield where, node
        for key, child in node.items():
            yield from schemas(child, f"{where}/{key}")
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from schemas(child, f"{where}/{index}")


def nullable_enums_without_null(document: dict[str, Any]) -> list[str]:
    found = []
    for where, schema in schemas(document):
        kinds = schema.get("type")
        nullable = kinds == "null" or (isinstance(kinds, list) and "null" in kinds)
        if nullable and "enum" in schema and None not in schema["enum"]:
            found.append(where)
    return found


def validator(schema: dict[str, Any], document: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator({**schema, "components": document["components"]})


def examples(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(where, schema, example) for every media example of the document, request and answer."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            media = {"request": operation.get("requestBody", {}).get("content", {}).get("application/json")}
            media |= {
                status: answer["content"]["application/json"]
                for status, answer in operation["responses"].items()
                if status != "204"  # no content: nothing to exemplify
            }
            for label, content in media.items():
                if content is None:
                    continue
                found = [content["example"]] if "example" in content else []
                found += [named["value"] for named in content.get("examples", {}).values()]
                assert found, f"{method.upper()} {path} {label} has no example"
                for example in found:
                    yield f"{method.upper()} {path} {label}", content["schema"], example


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return json.loads(DOCUMENT_PATH.read_text())


def test_spectral_oas_rules_find_nothing_in_the_committed_document():
    assert spectral(DOCUMENT_PATH) == []


def test_spectral_reports_what_it_is_there_to_find(tmp_path, document):
    """The check can fail: an operation without description or declared tag, and an example off its schema."""
    broken = json.loads(json.dumps(document))
    del broken["tags"]
    operation = broken["paths"]["/members"]["post"]
    del operation["description"]
    operation["requestBody"]["content"]["application/json"]["example"] = {"email": 42}
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    codes = {finding["code"] for finding in spectral(path)}
    assert {"operation-description", "operation-tag-defined", "oas3-valid-media-example"} <= codes, codes


def test_every_nullable_enum_takes_null(document):
    assert nullable_enums_without_null(document) == []


def test_the_nullable_enum_check_finds_a_missing_null():
    planted = {"a": {"properties": {"kind": {"type": ["string", "null"], "enum": ["day", "week"]}}}}
    assert nullable_enums_without_null(planted) == ["/a/properties/kind"]


def test_every_example_fits_its_schema(document):
    problems = [
        f"{where}: {error.message}"
        for where, schema, example in examples(document)
        for error in validator(schema, document).iter_errors(example)
    ]
    assert problems == []


def test_every_request_example_is_accepted_by_the_operations_own_shape():
    for route in ROUTES:
        body: type[Shape] | None = spec_of(route).body
        if body is not None:
            body.model_validate(REQUEST_EXAMPLES[body.__name__])  # raises on a field the code would refuse


def test_every_operation_is_described_with_its_409_codes_and_declared_tags(document):
    declared = {tag["name"] for tag in document["tags"]}
    for route in ROUTES:
        operation = document["paths"][route.path][route.method.lower()]
        assert operation["description"].startswith(OPERATIONS[route.function].description)
        assert set(operation["tags"]) <= declared
        conflicts = operation["responses"].get("409")
        if conflicts:
            for code in conflicts["content"]["application/json"]["examples"]:
                assert f"`{code}`" in operation["description"], (route.function, code)


def test_a_repeated_order_or_offer_redemption_is_documented_as_200_beside_201():
    document = build_document()
    for path in ("/orders", "/offer-redemptions"):
        answers = document["paths"][path]["post"]["responses"]
        assert answers["200"]["content"] == answers["201"]["content"], path
