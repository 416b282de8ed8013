"""The API reference page: one self-contained HTML file in which Redoc (npm, pinned) renders the OpenAPI document.

The page holds everything it shows: Redoc's standalone bundle from node_modules/ and the document, inline. It
fetches nothing when viewed (its Content-Security-Policy allows no other origin), so it reads the same at `/docs`
and `/docs/`, from the local API (tools/local/server.py) or the deployed stack (infra/constructs/docs.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REDOC_PACKAGE = ROOT / "node_modules" / "redoc"
REDOC_BUNDLE = REDOC_PACKAGE / "bundles" / "redoc.standalone.js"
# The one remote file the bundle would load (a logo); it is replaced by an empty image, which Redoc then hides.
REMOTE_LOGO = '"https://cdn.redoc.ly/redoc/logo-mini.svg"'
BLANK_IMAGE = '"data:,"'
CONTENT_TYPE = "text/html; charset=utf-8"
# Inline scripts and styles only; images and fonts as data: URLs; Redoc's search worker from a blob: URL.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline' blob:; worker-src blob:; style-src 'unsafe-inline'; "
    "img-src data:; font-src data:; connect-src 'none'; base-uri 'none'; form-action 'none'"
)
HEADERS = {"Content-Type": CONTENT_TYPE, "Content-Security-Policy": CONTENT_SECURITY_POLICY}
# Redoc's options (https://redocly.com/docs/redoc/config): show the samples of every request and response.
OPTIONS = {"expandResponses": "200,201", "jsonSampleExpandLevel": 3, "hideLoading": True}

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<title>{title} reference</title>
<style>body{{margin:0;padding:0}}</style>
</head><body>
<div id="reference"></div>
<script id="openapi" type="application/json">{document}</script>
<script>{bundle}</script>
<script>
Redoc.init(JSON.parse(document.getElementById("openapi").textContent), {options},
           document.getElementById("reference"));
</script>
</body></html>
"""


class BundleMissing(RuntimeError):
    """node_modules/redoc is not installed: `make install` installs it (npm ci)."""


def redoc_version() -> str:
    return str(json.loads((REDOC_PACKAGE / "package.json").read_text())["version"])


def _json_in_html(value: Any) -> str:
    """JSON text that no HTML parser reads as markup: `<`, `>` and `&` only ever occur inside JSON strings."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _script_safe(bundle: str) -> str:
    """The bundle as the body of an inline <script>: refused if the HTML parser would end or extend the element
    early (`</script`, or `<script` inside a `<!--` that the bundle has not closed yet)."""
    escaped = False
    for token in re.finditer(r"</script|<!--|-->|<script[\s/>]", bundle, re.IGNORECASE):
        text = token.group(0).lower()
        if text == "</script" or (escaped and text.startswith("<script")):
            raise ValueError(f"the Redoc bundle cannot be inlined: {text!r} at offset {token.start()}")
        escaped = text == "<!--" or (escaped and text != "-->")
    return bundle


def _without_remote_logo(bundle: str) -> str:
    """Redoc's sidebar credit shows a logo from Redocly's CDN: a blank data: image instead (the credit stays)."""
    if bundle.count(REMOTE_LOGO) != 1:
        raise ValueError(f"Redoc {redoc_version()} no longer loads {REMOTE_LOGO} once: review tools/reference_page.py")
    return bundle.replace(REMOTE_LOGO, BLANK_IMAGE)


def render_page(document: dict[str, Any]) -> str:
    """The whole page for `document` (an OpenAPI document as tools.openapi builds it)."""
    if not REDOC_BUNDLE.is_file():
        raise BundleMissing(f"{REDOC_BUNDLE.relative_to(ROOT)} is missing: run `make install`")
    title = str(document.get("info", {}).get("title", "API"))
    return _TEMPLATE.format(
        csp=CONTENT_SECURITY_POLICY,
        title=title.replace("&", "&amp;").replace("<", "&lt;"),
        document=_json_in_html(document),
        bundle=_script_safe(_without_remote_logo(REDOC_BUNDLE.read_text(encoding="utf-8"))),
        options=_json_in_html(OPTIONS),
    )
