"""The reference page's HTML (tools/reference_page.py): the document and the bundle stay inside their script elements
whatever they hold, and the document the page embeds is the one given."""

import json
import re

import pytest

from tools import reference_page
from tools.reference_page import render_page

HOSTILE = "</script><script>window.pwned = 1</script><!-- <script> & &amp; \u2028"


def _document(**info: str) -> dict:
    return {"openapi": "3.1.0", "info": {"title": "T", "version": "1", **info}, "paths": {}}


def test_a_document_holding_markup_cannot_end_its_script_element_and_is_embedded_as_given():
    document = _document(title=HOSTILE, description=HOSTILE)
    page = render_page(document)
    assert page.lower().count("</script") == 3  # the document's, the bundle's and the start-up script's own
    assert "<script>window.pwned" not in page and "<!-- <script>" not in page
    embedded = re.search(r'<script id="openapi" type="application/json">(.*?)</script>', page, re.DOTALL)
    assert embedded is not None and json.loads(embedded.group(1)) == document
    assert "<title>&lt;/script>&lt;script>window.pwned = 1&lt;/script>&lt;!-- &lt;script> &amp; &amp;amp;" in page


@pytest.mark.parametrize("bundle", ["a</script>b", "a</SCRIPT >b", "<!-- x <script>y", "<!--<script/>"])
def test_a_bundle_that_would_end_or_extend_its_script_element_is_refused(bundle):
    with pytest.raises(ValueError, match="cannot be inlined"):
        reference_page._script_safe(bundle)


@pytest.mark.parametrize("bundle", ["a<b", "/<!--(?:x)*-->/; x<script", "'<scripts>'", "<!-- --> <script>"])
def test_a_bundle_whose_markup_look_alikes_stay_inside_is_inlined_as_it_is(bundle):
    assert reference_page._script_safe(bundle) == bundle


def test_the_installed_bundle_is_the_pinned_one_and_loads_nothing_from_elsewhere_once_inlined():
    pinned = json.loads((reference_page.ROOT / "package.json").read_text())["devDependencies"]["redoc"]
    assert reference_page.redoc_version() == pinned
    page = render_page(_document())
    assert reference_page.REMOTE_LOGO not in page and reference_page.BLANK_IMAGE in page
