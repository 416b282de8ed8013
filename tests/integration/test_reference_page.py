"""The API reference page (issue 22 item 2) in a real browser: Debian's headless Chromium, driven by Playwright, loads
`/docs` and `/docs/` from the local API; Redoc has rendered every operation of the served document, each request
body's schema and its sample with the document's examples; the page asked nothing of any other origin."""

import json
import shutil
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tools.reference_page import CONTENT_SECURITY_POLICY

# Redoc renders every operation at once (no lazy rendering); on a busy 2-core machine that takes seconds.
RENDER_MS = 180_000


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium")
    assert chromium, "the reference page is tested in Debian's chromium: apt-get install -y chromium (.ci/run does)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def document(local_api):
    return local_api.anonymous().get("/openapi.json").json


def _operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Redoc's section id of every operation (`tag/<tag>/operation/<operationId>`) → the operation."""
    return {
        f"tag/{operation['tags'][0]}/operation/{operation['operationId']}": operation
        for methods in document["paths"].values()
        for operation in methods.values()
    }


def _schema(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rpartition("/")[2]]
    return schema


def _examples(document: dict[str, Any], media: dict[str, Any]) -> dict[str, Any]:
    """The fields the request sample must show as the document gives them: the media type's example (Redoc shows
    the first of named examples), or else each property's own example."""
    if "example" in media:
        return dict(media["example"])
    if media.get("examples"):
        return dict(next(iter(media["examples"].values()))["value"])
    properties = _schema(document, media["schema"]).get("properties", {})
    return {name: field["example"] for name, field in properties.items() if "example" in field}


def _open(browser: Browser, url: str, origin: str) -> tuple[Page, list[str], list[str]]:
    """The page at `url`, rendered; with every request it made to another origin and every console error."""
    page = browser.new_page()
    elsewhere: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: None if r.url.startswith((origin, "blob:", "data:")) else elsewhere.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    page.wait_for_selector("[data-section-id*='/operation/'] h2", timeout=RENDER_MS)
    return page, elsewhere, errors


@pytest.mark.parametrize("path", ["/docs", "/docs/"])
def test_the_reference_page_renders_every_operation_schema_and_example_from_our_server_alone(
    browser, local_api, document, path
):
    origin = f"http://127.0.0.1:{local_api.port}/"
    page, elsewhere, errors = _open(browser, f"{local_api.server.url}{path}", origin)
    try:
        operations = _operations(document)
        rendered = page.eval_on_selector_all(
            "[data-section-id*='/operation/']",
            "all => Object.fromEntries(all.map(s => [s.dataset.sectionId, s.querySelector('h2').textContent.trim()]))",
        )
        assert rendered == {section: operation["summary"] for section, operation in operations.items()}
        with_body = {section: op for section, op in operations.items() if "requestBody" in op}
        shown_examples = 0
        for section_id, operation in with_body.items():
            section = page.locator(f"[data-section-id='{section_id}']")
            media = operation["requestBody"]["content"]["application/json"]  # the token route also takes a form
            headings = [text.removesuffix("required") for text in section.locator("h5").all_text_contents()]
            # (several media types: the heading then holds a menu of them, application/json first)
            assert any(h.startswith("Request Body schema: application/json") for h in headings), (section_id, headings)
            fields = set(section.locator("td[kind=field]").evaluate_all("cells => cells.map(c => c.title)"))
            properties = set(_schema(document, media["schema"])["properties"])
            assert properties <= fields, (section_id, properties - fields)
            sample = json.loads(section.locator("h3:has-text('Request samples') + div .redoc-json").text_content())
            assert set(sample) <= properties, section_id
            examples = _examples(document, media)
            assert {name: sample.get(name) for name in examples} == examples, section_id
            shown_examples += len(examples)
        assert len(with_body) >= 20 and shown_examples > 0
        assert elsewhere == [], "the page fetched from another origin"
        assert errors == [], errors
    finally:
        page.close()
