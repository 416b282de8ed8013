"""GET /docs on the deployed API: the reference page that infra/constructs/docs.py built at synth and ships beside
this module (as reference.html), answered as it is, whatever the request holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
PAGE = (_HERE / "reference.html").read_text(encoding="utf-8")
HEADERS: dict[str, str] = json.loads((_HERE / "headers.json").read_text(encoding="utf-8"))


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "headers": HEADERS, "body": PAGE}
